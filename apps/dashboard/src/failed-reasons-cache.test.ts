import { describe, expect, it } from 'vitest';
import { cacheByLaneCount } from './failed-reasons-cache.ts';

/** Readings the test ends by hand, on a clock it moves. */
function heldReadings() {
  const pending: { laneCount: number; end: () => void; fail: () => void }[] = [];
  let started = 0;
  let t = 0;
  return {
    read: (laneCount: number) => {
      const n = ++started;
      return new Promise<string>((resolve, reject) => {
        pending.push({
          laneCount,
          end: () => resolve(`reading ${n} of ${laneCount} lanes`),
          fail: () => reject(new Error('Redis away')),
        });
      });
    },
    /** Readings started so far. */
    started: () => started,
    /** Ends the oldest reading not ended yet. */
    end: async () => {
      pending.shift()!.end();
      await new Promise((resolve) => setImmediate(resolve));
    },
    fail: async () => {
      pending.shift()!.fail();
      await new Promise((resolve) => setImmediate(resolve));
    },
    now: () => t,
    advance: (ms: number) => (t += ms),
  };
}

describe('the failed reasons cache', () => {
  it('shares a reading however long it takes, and keeps it for the interval from its end', async () => {
    const r = heldReadings();
    const cache = cacheByLaneCount(r.read, 10_000, r.now);
    const first = cache.read(16);
    // A slow Redis: pages reloading past the interval share the reading under way.
    r.advance(30_000);
    const second = cache.read(16);
    expect(r.started()).toBe(1);
    await r.end();
    expect(await Promise.all([first, second])).toEqual([
      'reading 1 of 16 lanes',
      'reading 1 of 16 lanes',
    ]);
    r.advance(9_999);
    expect(await cache.read(16)).toBe('reading 1 of 16 lanes');
    r.advance(1);
    const third = cache.read(16);
    expect(r.started()).toBe(2);
    await r.end();
    expect(await third).toBe('reading 2 of 16 lanes');
  });

  it('after a re-drive, reads afresh once the reading under way has ended, never beside it', async () => {
    const r = heldReadings();
    const cache = cacheByLaneCount(r.read, 10_000, r.now);
    const before = cache.read(16);
    cache.invalidate();
    const after = cache.read(16);
    const alsoAfter = cache.read(16);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.started()).toBe(1);
    await r.end();
    expect(await before).toBe('reading 1 of 16 lanes');
    expect(r.started()).toBe(2);
    await r.end();
    expect(await Promise.all([after, alsoAfter])).toEqual([
      'reading 2 of 16 lanes',
      'reading 2 of 16 lanes',
    ]);
  });

  it('reads again for another lane count, and after a failed reading', async () => {
    const r = heldReadings();
    const cache = cacheByLaneCount(r.read, 10_000, r.now);
    const failing = cache.read(16);
    await r.fail();
    await expect(failing).rejects.toThrow('Redis away');
    const again = cache.read(16);
    await r.end();
    expect(await again).toBe('reading 2 of 16 lanes');
    const other = cache.read(32);
    await r.end();
    expect(await other).toBe('reading 3 of 32 lanes');
  });

  it('keeps a reading for as long as the function of its duration says', async () => {
    const r = heldReadings();
    const cache = cacheByLaneCount(r.read, (tookMs) => Math.max(60_000, 5 * tookMs), r.now);
    // A reading of 20 s (150,000 failures, say) is kept 100 s.
    const slow = cache.read(16);
    r.advance(20_000);
    await r.end();
    expect(await slow).toBe('reading 1 of 16 lanes');
    r.advance(99_999);
    expect(await cache.read(16)).toBe('reading 1 of 16 lanes');
    expect(r.started()).toBe(1);
    r.advance(1);
    const quick = cache.read(16);
    expect(r.started()).toBe(2);
    // One of 1 s: a minute, counted from its end; and its time is counted from its own start.
    r.advance(1000);
    await r.end();
    expect(await quick).toBe('reading 2 of 16 lanes');
    r.advance(59_999);
    expect(await cache.read(16)).toBe('reading 2 of 16 lanes');
    r.advance(1);
    void cache.read(16);
    expect(r.started()).toBe(3);
  });

  it('counts a reading that waited for the one before it from when it began', async () => {
    const r = heldReadings();
    const cache = cacheByLaneCount(r.read, (tookMs) => 5 * tookMs, r.now);
    void cache.read(16);
    cache.invalidate();
    const waiting = cache.read(16);
    // The first takes 30 s; the second waits for it, then takes 2 s: kept 10 s, not 160 s.
    r.advance(30_000);
    await r.end();
    r.advance(2_000);
    await r.end();
    expect(await waiting).toBe('reading 2 of 16 lanes');
    r.advance(9_999);
    expect(await cache.read(16)).toBe('reading 2 of 16 lanes');
    r.advance(1);
    void cache.read(16);
    expect(r.started()).toBe(3);
  });
});

describe("the failed reasons cache's time of reading", () => {
  it('gives each reading with when it began, kept with it while it serves', async () => {
    const r = heldReadings();
    const cache = cacheByLaneCount(r.read, 60_000, r.now);
    r.advance(1_000);
    const first = cache.readTimed(16);
    // A slow reading: the time is its start's, the oldest moment it may show.
    r.advance(20_000);
    await r.end();
    expect(await first).toEqual({ value: 'reading 1 of 16 lanes', at: 1_000 });
    r.advance(40_000);
    expect(await cache.readTimed(16)).toEqual({ value: 'reading 1 of 16 lanes', at: 1_000 });
    expect(await cache.read(16)).toBe('reading 1 of 16 lanes');
    r.advance(20_000);
    const second = cache.readTimed(16);
    await r.end();
    expect(await second).toEqual({ value: 'reading 2 of 16 lanes', at: 81_000 });
  });

  it('times a reading that waited for the one before it from when it began', async () => {
    const r = heldReadings();
    const cache = cacheByLaneCount(r.read, 60_000, r.now);
    void cache.read(16);
    cache.invalidate();
    const waiting = cache.readTimed(16);
    r.advance(30_000);
    await r.end();
    await r.end();
    expect(await waiting).toEqual({ value: 'reading 2 of 16 lanes', at: 30_000 });
  });

  it('fails as the reading does', async () => {
    const r = heldReadings();
    const cache = cacheByLaneCount(r.read, 60_000, r.now);
    const failing = cache.readTimed(16);
    const alsoFailing = cache.read(16);
    await r.fail();
    await expect(failing).rejects.toThrow('Redis away');
    await expect(alsoFailing).rejects.toThrow('Redis away');
  });
});
