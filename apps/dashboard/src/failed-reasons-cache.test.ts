import { describe, expect, it } from 'vitest';
import { cacheByLaneCount } from './failed-reasons-cache.ts';

function counter() {
  let reads = 0;
  let t = 0;
  return {
    read: (laneCount: number) => Promise.resolve(`reading ${++reads} of ${laneCount} lanes`),
    reads: () => reads,
    now: () => t,
    advance: (ms: number) => (t += ms),
  };
}

describe('the failed reasons cache', () => {
  it('reads Redis once per interval, however many pages ask, and shares a reading under way', async () => {
    const c = counter();
    const cache = cacheByLaneCount(c.read, 10_000, c.now);
    expect(await Promise.all([cache.read(16), cache.read(16)])).toEqual([
      'reading 1 of 16 lanes',
      'reading 1 of 16 lanes',
    ]);
    c.advance(9_999);
    expect(await cache.read(16)).toBe('reading 1 of 16 lanes');
    c.advance(1);
    expect(await cache.read(16)).toBe('reading 2 of 16 lanes');
    expect(c.reads()).toBe(2);
  });

  it('reads again for another lane count, after a re-drive, and after a failed reading', async () => {
    const c = counter();
    let fail = true;
    const cache = cacheByLaneCount(
      (n) => (fail ? Promise.reject(new Error('Redis away')) : c.read(n)),
      10_000,
      c.now,
    );
    await expect(cache.read(16)).rejects.toThrow('Redis away');
    fail = false;
    expect(await cache.read(16)).toBe('reading 1 of 16 lanes');
    expect(await cache.read(32)).toBe('reading 2 of 32 lanes');
    cache.invalidate();
    expect(await cache.read(32)).toBe('reading 3 of 32 lanes');
  });
});
