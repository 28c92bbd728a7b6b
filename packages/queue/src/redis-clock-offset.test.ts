import { describe, expect, it } from 'vitest';
import { readRedisClockOffsetMs } from './redis-clock-offset.ts';

describe('readRedisClockOffsetMs', () => {
  it("sets Redis's TIME against the middle of the round trip", async () => {
    const clock = [1_000_000_010, 1_000_000_030];
    const redis = { time: () => Promise.resolve(['1000000', '5000']) };
    // Redis read 1,000,000,005 ms; the middle of the round trip here was 1,000,000,020.
    expect(await readRedisClockOffsetMs(redis, () => clock.shift()!)).toBe(15);
  });

  it('does not wait for a connection that is not ready', async () => {
    const redis = { status: 'reconnecting', time: () => new Promise<string[]>(() => undefined) };
    await expect(readRedisClockOffsetMs(redis)).rejects.toThrow('not connected (reconnecting)');
  });

  it('is negative when this host is behind', async () => {
    const clock = [999_940_000, 999_940_000];
    const redis = { time: () => Promise.resolve(['1000000', '0']) };
    expect(await readRedisClockOffsetMs(redis, () => clock.shift()!)).toBe(-60_000);
  });
});
