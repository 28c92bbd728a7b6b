import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimLaneCount, laneCountKey, LaneCountMismatchError } from './lane-count.ts';

describe('claimLaneCount on the real Redis', () => {
  let space: TestQueuePrefix;

  beforeEach(() => {
    space = createTestQueuePrefix();
  });

  afterEach(async () => {
    await space.cleanup();
  });

  it('records the first number and accepts it again', async () => {
    await claimLaneCount(space.redis, space.prefix, 16);
    await claimLaneCount(space.redis, space.prefix, 16);
    expect(await space.redis.get(laneCountKey(space.prefix))).toBe('16');
  });

  it('refuses another number, saying how to fix it', async () => {
    await claimLaneCount(space.redis, space.prefix, 16);
    const refused = claimLaneCount(space.redis, space.prefix, 8);
    await expect(refused).rejects.toBeInstanceOf(LaneCountMismatchError);
    await expect(refused).rejects.toThrow(/LANES=8 but .* LANES=16\. Use LANES=16, or drain/);
  });
});
