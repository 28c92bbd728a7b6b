import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDeliveryOverview } from './delivery-overview.ts';
import { lanesHoldingCommits } from './lane-count.ts';
import { readLaneBacklogs } from './lane-backlog.ts';

describe('reading lanes', () => {
  let space: TestQueuePrefix;

  beforeEach(() => {
    space = createTestQueuePrefix();
  });

  afterEach(async () => {
    await space.cleanup();
  });

  it('writes nothing under a prefix nobody uses (a mistyped QUEUE_PREFIX)', async () => {
    const lanes = [0, 1, 2, 3];
    await readLaneBacklogs(space.redis, space.prefix, lanes);
    await lanesHoldingCommits(space.redis, space.prefix, 4);
    await readDeliveryOverview(space.redis, space.prefix, 4, { stalls: 5, failures: 5 });
    expect(await space.redis.keys(`${space.prefix}:*`)).toEqual([]);
  });
});
