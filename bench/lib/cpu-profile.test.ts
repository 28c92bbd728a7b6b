import { describe, expect, it } from 'vitest';
import { cpuProfileTotals, isCpuProfile, type CpuProfile } from './cpu-profile.ts';

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

describe('cpuProfileTotals', () => {
  const totals = cpuProfileTotals(profile);
  const fn = (name: string) => totals.functions.find((f) => f.name.startsWith(name));

  it('counts busy time apart from idle time, each sample for the mean interval', () => {
    expect(totals).toMatchObject({ unit: 'ms', total: 10, idle: 2 });
  });

  it("gives each function its own samples, and its callees' to its total once per sample", () => {
    expect(fn('handle')).toMatchObject({ self: 2, total: 8 });
    // The recursion's samples count once each in the total.
    expect(fn('parse')).toMatchObject({ self: 6, total: 6 });
    expect(fn('(garbage collector)')).toMatchObject({ self: 2, total: 2 });
  });

  it('sums self time per package', () => {
    expect(Object.fromEntries(totals.packages)).toEqual({
      'apps/ingest': 2,
      zod: 6,
      '(garbage collector)': 2,
    });
  });
});

it('tells a CPU profile from anything else', () => {
  expect(isCpuProfile(profile)).toBe(true);
  expect(isCpuProfile({ head: {} })).toBe(false);
  expect(isCpuProfile(null)).toBe(false);
});
