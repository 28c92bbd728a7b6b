import { parseCommit } from '@commitlog/core';
import { describe, expect, it } from 'vitest';
import { createWorkload, pickValueSize } from './workload.ts';

describe('workload', () => {
  it('picks value sizes by their shares', () => {
    expect(pickValueSize(0)).toBe(256);
    expect(pickValueSize(0.49)).toBe(256);
    expect(pickValueSize(0.5)).toBe(1024);
    expect(pickValueSize(0.89)).toBe(1024);
    expect(pickValueSize(0.95)).toBe(8192);
    expect(pickValueSize(0.999999)).toBe(8192);
  });

  it('builds valid, distinct commits with the value mix and the key space', () => {
    const next = createWorkload({ bucket: 'b', keys: 50, distribution: 'zipf', seed: 1 });
    const sizes = new Map<number, number>();
    const vclocks = new Set<string>();
    for (let n = 0; n < 4000; n++) {
      const c = next(n);
      const commit = parseCommit(JSON.parse(c.body.toString()));
      expect(commit.bucket).toBe('b');
      expect(Buffer.from(commit.siblings[0]!.value, 'base64').length).toBe(c.valueBytes);
      expect(Number(c.key.slice(1))).toBeLessThan(50);
      vclocks.add(commit.vclock ?? '');
      sizes.set(c.valueBytes, (sizes.get(c.valueBytes) ?? 0) + 1);
    }
    expect(vclocks.size).toBe(4000);
    expect(sizes.get(256)! / 4000).toBeCloseTo(0.5, 1);
    expect(sizes.get(1024)! / 4000).toBeCloseTo(0.4, 1);
    expect(sizes.get(8192)! / 4000).toBeCloseTo(0.1, 1);
  });
});
