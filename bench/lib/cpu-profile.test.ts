import { describe, expect, it } from 'vitest';
import { packageOf, profileTotals, type CpuProfile } from './cpu-profile.ts';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

// root → handle (apps/ingest) → parse (zod) → parse (zod, recursing); root → (idle)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('handle', 'file:///r/apps/ingest/src/app.ts'), children: [3] },
    {
      id: 3,
      callFrame: frame('parse', 'file:///r/node_modules/.pnpm/zod@4/node_modules/zod/a.js'),
      children: [4],
    },
    {
      id: 4,
      callFrame: frame('parse', 'file:///r/node_modules/.pnpm/zod@4/node_modules/zod/a.js'),
    },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  samples: [2, 3, 4, 4, 5, 6],
  // 12 ms over 6 samples: each weighs 2 ms, however long the gap before it (the 7 ms one is
  // the process waiting for a core, not the idle sample's own time).
  timeDeltas: [1000, 1000, 1000, 1000, 7000, 1000],
};

describe('profileTotals', () => {
  const totals = profileTotals(profile);
  const fn = (name: string) => totals.functions.find((f) => f.name.startsWith(name));

  it('counts busy time apart from idle time, each sample for the mean interval', () => {
    expect(totals.totalMs).toBe(10);
    expect(totals.idleMs).toBe(2);
  });

  it("gives each function its own samples, and its callees' to its total once per sample", () => {
    expect(fn('handle')).toMatchObject({ selfMs: 2, totalMs: 8 });
    // The recursion's samples count once each in the total.
    expect(fn('parse')).toMatchObject({ selfMs: 6, totalMs: 6 });
    expect(fn('(garbage collector)')).toMatchObject({ selfMs: 2, totalMs: 2 });
  });

  it('sums self time per package', () => {
    expect(Object.fromEntries(totals.packages)).toEqual({
      'apps/ingest': 2,
      zod: 6,
      '(garbage collector)': 2,
    });
  });
});

describe('packageOf', () => {
  it('names scoped packages, Node internals and native code', () => {
    const url = 'file:///r/node_modules/.pnpm/x/node_modules/@platformatic/kafka/dist/p.js';
    expect(packageOf({ functionName: 'send', url })).toBe('@platformatic/kafka');
    expect(packageOf({ functionName: 'emit', url: 'node:events' })).toBe('node:events');
    const internal = 'node:internal/streams/writable';
    expect(packageOf({ functionName: 'write', url: internal })).toBe('node:internal/streams');
    expect(packageOf({ functionName: 'writev', url: '' })).toBe('(native)');
  });
});
