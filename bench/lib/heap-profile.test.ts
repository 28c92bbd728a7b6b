import { describe, expect, it } from 'vitest';
import { allocationTotals, isHeapProfile, type HeapProfileNode } from './heap-profile.ts';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });
const node = (
  name: string,
  url: string,
  selfSize: number,
  children: HeapProfileNode[] = [],
): HeapProfileNode => ({ callFrame: frame(name, url), selfSize, children });

const ingest = 'file:///r/apps/ingest/src/app.ts';
const zod = 'file:///r/node_modules/.pnpm/zod@4/node_modules/zod/a.js';
// root → handle (100 B) → parse (300 B) → parse (200 B, recursing); root → JSON.parse native (50 B)
const profile = {
  head: node('(root)', '', 0, [
    node('handle', ingest, 100, [node('parse', zod, 300, [node('parse', zod, 200)])]),
    node('parse', '', 50),
  ]),
};

describe('allocationTotals', () => {
  const totals = allocationTotals(profile);
  const fn = (name: string) => totals.functions.find((f) => f.name === name);

  it("sums every node's bytes", () => {
    expect(totals).toMatchObject({ unit: 'bytes', total: 650, idle: 0 });
  });

  it("gives each function its own bytes, and its callees' to its total once", () => {
    expect(fn('handle apps/ingest/src/app.ts:1:1')).toEqual({
      name: 'handle apps/ingest/src/app.ts:1:1',
      self: 100,
      total: 600,
    });
    // The recursion's bytes count once in the total.
    expect(fn('parse zod/a.js:1:1')).toMatchObject({
      self: 500,
      total: 500,
    });
    expect(fn('parse')).toMatchObject({ self: 50, total: 50 });
  });

  it('sums self bytes per package', () => {
    expect(Object.fromEntries(totals.packages)).toEqual({
      'apps/ingest': 100,
      zod: 500,
      '(native)': 50,
    });
  });

  it('walks a stack deeper than a recursive walk could', () => {
    let deep = node('leaf', ingest, 1);
    for (let i = 0; i < 20_000; i++) deep = node(`f${i}`, ingest, 0, [deep]);
    expect(allocationTotals({ head: deep }).total).toBe(1);
  });
});

it('tells a heap profile from anything else', () => {
  expect(isHeapProfile(profile)).toBe(true);
  expect(isHeapProfile({ nodes: [], samples: [] })).toBe(false);
  expect(isHeapProfile(undefined)).toBe(false);
});
