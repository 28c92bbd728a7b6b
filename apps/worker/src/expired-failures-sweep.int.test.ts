// The expired-failures sweep as the workers of a fleet run it, on the real Redis: one of them a
// turn, over every lane the recorded count names.
import { laneQueueName } from '@commitlog/queue';
import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetSweepRemoval } from './expired-failures-sweep.ts';

describe('fleetSweepRemoval', () => {
  let space: TestQueuePrefix;

  beforeEach(() => {
    space = createTestQueuePrefix();
  });

  afterEach(async () => {
    await space.cleanup();
  });

  /** A failure of `lane` that failed two days ago: past a retention of a day. */
  async function failedLongAgo(lane: number, id: string): Promise<void> {
    const key = (name: string) => `${space.prefix}:${laneQueueName(lane)}:${name}`;
    const finishedOn = Date.now() - 2 * 86_400_000;
    await space.redis.zadd(key('failed'), finishedOn, id);
    await space.redis.hset(key(id), { failedReason: 'expired: x', finishedOn });
  }

  const removal = (workerName: string, recorded: number | undefined) =>
    fleetSweepRemoval({
      connection: space.redis,
      prefix: space.prefix,
      workerName,
      lanes: 4,
      retentionMs: 86_400_000,
      readRecordedLanes: () => Promise.resolve(recorded),
      intervalMs: 200,
    });

  it('sweeps on one worker a turn, every lane the recorded count names', async () => {
    const told: string[] = [];
    const tell = (removed: readonly { jobId: string }[]) =>
      told.push(...removed.map((r) => r.jobId));
    // LANES is being raised from 4 to 8: this worker has 4, Redis records 8.
    await failedLongAgo(1, 'old-1');
    await failedLongAgo(6, 'old-6');
    const w1 = removal('w1', 8);
    const w2 = removal('w2', 8);
    expect(await w1(tell)).toBe(2);
    expect(told.sort()).toEqual(['old-1', 'old-6']);
    // Within w1's turn another worker does not sweep, even with something due.
    await failedLongAgo(2, 'old-2');
    expect(await w2(tell)).toBe(0);
    // The turn lasts nine tenths of the interval: the next run of its holder finds it free.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await w1(tell)).toBe(1);
    expect(told).toContain('old-2');
  });
});
