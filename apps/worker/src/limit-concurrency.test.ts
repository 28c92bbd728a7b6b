import { describe, expect, it } from 'vitest';
import { limitConcurrency } from './limit-concurrency.ts';

describe('limitConcurrency', () => {
  it('never runs more than the limit at once and runs every call', async () => {
    let active = 0;
    let peak = 0;
    const limited = limitConcurrency(2, async (n: number) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 1));
      active--;
      return n * 2;
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => limited(n)));
    expect(results).toEqual([2, 4, 6, 8, 10]);
    expect(peak).toBe(2);
  });

  it('frees its slot when a call throws', async () => {
    const limited = limitConcurrency(1, (fail: boolean) =>
      fail ? Promise.reject(new Error('boom')) : Promise.resolve('ok'),
    );
    await expect(limited(true)).rejects.toThrow('boom');
    await expect(limited(false)).resolves.toBe('ok');
  });
});
