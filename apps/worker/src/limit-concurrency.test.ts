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

  it('hands a freed slot to the call waiting longest, so that a newcomer cannot slip in', async () => {
    // A newcomer that arrives between the release of a slot and the moment the woken waiter runs
    // must wait too. When exactly that is depends on how many promise hops each step takes, so
    // the newcomer is tried at several depths of microtasks after the release.
    for (let depth = 0; depth < 8; depth++) {
      let active = 0;
      let peak = 0;
      const order: string[] = [];
      const limited = limitConcurrency(1, async (name: string, gate: Promise<void>) => {
        active++;
        peak = Math.max(peak, active);
        order.push(name);
        await gate;
        active--;
      });
      let release!: () => void;
      const first = limited('first', new Promise<void>((resolve) => (release = resolve)));
      const waiting = limited('waiting', Promise.resolve());
      let newcomer: Promise<void> | undefined;
      const arrive = (hops: number): void => {
        if (hops === 0) newcomer = limited('newcomer', Promise.resolve());
        else queueMicrotask(() => arrive(hops - 1));
      };
      release();
      arrive(depth);
      await Promise.all([first, waiting]);
      await newcomer;
      expect({ depth, peak }).toEqual({ depth, peak: 1 });
      expect({ depth, order }).toEqual({ depth, order: ['first', 'waiting', 'newcomer'] });
    }
  });

  it('frees its slot when a call throws', async () => {
    const limited = limitConcurrency(1, (fail: boolean) =>
      fail ? Promise.reject(new Error('boom')) : Promise.resolve('ok'),
    );
    await expect(limited(true)).rejects.toThrow('boom');
    await expect(limited(false)).resolves.toBe('ok');
  });
});
