import { describe, expect, it } from 'vitest';
import { laneChangeKey, raiseLaneChangeFence } from './lane-change-fence.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * A Redis whose SET NX answers as its second run would (null): `ranFirst` says whether the first
 * run, whose answer the dropped connection lost, set the key.
 */
function resentSet(ranFirst: boolean, held?: string) {
  const keys = new Map<string, string>(held === undefined ? [] : [[laneChangeKey('p'), held]]);
  const connection = {
    set: (key: string, value: string) => {
      if (ranFirst && !keys.has(key)) keys.set(key, value);
      return Promise.resolve(null);
    },
    get: (key: string) => Promise.resolve(keys.get(key) ?? null),
  } as unknown as RedisConnection;
  return connection;
}

describe('the lane change fence', () => {
  it('is this process’s own when its SET ran before the connection dropped and was sent again', async () => {
    const fence = await raiseLaneChangeFence(resentSet(true), 'p', 32);
    expect(fence?.token).toMatch(/^32:/);
  });

  it("is not raised over another process's fence", async () => {
    expect(await raiseLaneChangeFence(resentSet(false, '64:other'), 'p', 32)).toBeUndefined();
  });
});
