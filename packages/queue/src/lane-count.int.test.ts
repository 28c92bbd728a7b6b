import { createTestQueuePrefix, waitFor, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claimLaneCount,
  laneCountKey,
  LaneCountChangeRefusedError,
  lanesHoldingCommits,
} from './lane-count.ts';
import { startLaneWorkers } from './lane-workers.ts';
import { withLaneQueue } from './with-lane-queue.ts';

describe('claimLaneCount on the real Redis', () => {
  let space: TestQueuePrefix;

  beforeEach(() => {
    space = createTestQueuePrefix();
  });

  afterEach(async () => {
    await space.cleanup();
  });

  const addJob = (lane: number, id: string): Promise<unknown> =>
    withLaneQueue(space.redis, space.prefix, lane, (queue) =>
      queue.add('commit', {} as never, { jobId: id }),
    );

  /** A real lane worker fails the job for good, as a forbidden topic would. */
  async function failJob(lane: number, id: string): Promise<void> {
    const workers = await startLaneWorkers({
      connection: space.redis,
      prefix: space.prefix,
      lanes: [lane],
      workerName: 'lane-count-test',
      lockDurationMs: 5000,
      dedupWindowMs: 3_600_000,
      handle: () =>
        Promise.resolve({ kind: 'fail', reason: 'forbidden-topic', message: 'test' } as const),
    });
    try {
      await addJob(lane, id);
      await waitFor(
        () =>
          withLaneQueue(
            space.redis,
            space.prefix,
            lane,
            async (q) => (await q.getFailedCount()) === 1,
          ),
        { description: 'the job to fail' },
      );
    } finally {
      await workers.close();
    }
  }

  it('records the first number and accepts it again', async () => {
    expect(await claimLaneCount(space.redis, space.prefix, 16)).toEqual({ changedFrom: undefined });
    await claimLaneCount(space.redis, space.prefix, 16);
    expect(await space.redis.get(laneCountKey(space.prefix))).toBe('16');
  });

  it('changes the number when no lane holds commits, and says so once', async () => {
    const warnings: unknown[] = [];
    const log = { warn: (fields: object, message: string) => warnings.push({ fields, message }) };
    await claimLaneCount(space.redis, space.prefix, 16, log);
    expect(warnings).toEqual([]);
    expect(await claimLaneCount(space.redis, space.prefix, 8, log)).toEqual({ changedFrom: 16 });
    expect(await space.redis.get(laneCountKey(space.prefix))).toBe('8');
    await claimLaneCount(space.redis, space.prefix, 8, log);
    expect(warnings).toEqual([
      {
        fields: { lanes: 8, previousLanes: 16 },
        message: 'LANES changed: no lane held commits, so the queues now use the new number',
      },
    ]);
  });

  it('refuses a change while a lane holds a waiting commit, saying how to drain', async () => {
    await claimLaneCount(space.redis, space.prefix, 16);
    await addJob(3, 'waiting-1');
    const refused = claimLaneCount(space.redis, space.prefix, 32);
    await expect(refused).rejects.toBeInstanceOf(LaneCountChangeRefusedError);
    await expect(refused).rejects.toThrow(
      /LANES=32 but .* LANES=16, and 1 of those lanes still hold commits \(lane 3: 1 waiting or in delivery\)\. .*commitlog status/,
    );
    expect(await space.redis.get(laneCountKey(space.prefix))).toBe('16');
  });

  it('lets failed deliveries block only a change that drops their lane', async () => {
    await claimLaneCount(space.redis, space.prefix, 16);
    await failJob(12, 'failed-1');
    expect(await lanesHoldingCommits(space.redis, space.prefix, 16, 8)).toEqual([
      { lane: 12, pending: 0, failed: 1 },
    ]);
    await expect(claimLaneCount(space.redis, space.prefix, 8)).rejects.toThrow(/lane 12: 1 failed/);
    // Lane 12 stays with 13 lanes or more: a re-drive puts the commit where a worker reads.
    expect(await claimLaneCount(space.redis, space.prefix, 13)).toEqual({ changedFrom: 16 });
  });
});
