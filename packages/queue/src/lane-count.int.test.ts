import { createTestQueuePrefix, waitFor, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommitJobData } from './commit-job.ts';
import { createCommitEnqueuer } from './commit-enqueuer.ts';
import {
  laneChangeKey,
  LaneCountChangingError,
  raiseLaneChangeFence,
} from './lane-change-fence.ts';
import {
  claimLaneCount,
  laneCountKey,
  LaneCountChangeRefusedError,
  LaneCountMismatchError,
  lanesHoldingCommits,
  readLaneCountForStore,
} from './lane-count.ts';
import { monitorRedis } from '../test/redis-monitor.ts';
import { QueueUnavailableError } from './queue-errors.ts';
import { startLaneWorkers } from './lane-workers.ts';
import { withLaneQueue } from './with-lane-queue.ts';
import { LaneCountUnrecordedError } from './unrecorded-lane-count.ts';
import { laneOf } from '@commitlog/core';

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

  /** A change that waits only briefly for stores under way (3 s by default). */
  const quick = { storesUnderWayMs: 50 };

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
    expect(await claimLaneCount(space.redis, space.prefix, 8, log, quick)).toEqual({
      changedFrom: 16,
    });
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
    const refused = claimLaneCount(space.redis, space.prefix, 32, undefined, quick);
    await expect(refused).rejects.toBeInstanceOf(LaneCountChangeRefusedError);
    await expect(refused).rejects.toThrow(
      /LANES=32 but .* LANES=16, and 1 of those lanes still hold commits \(lane 3: 1 waiting or in delivery\)\. .*commitlog status/,
    );
    expect(await space.redis.get(laneCountKey(space.prefix))).toBe('16');
  });

  it('refuses a raise while a lane past the recorded count still holds commits stored under an earlier one', async () => {
    await claimLaneCount(space.redis, space.prefix, 8);
    // Stored under 16 lanes (a Cluster store refused after its add, its commit then stored
    // again under 8): raised back to 16, a worker would deliver it after its key's newer versions.
    await addJob(12, 'stranded-1');
    const refused = claimLaneCount(space.redis, space.prefix, 16, undefined, quick);
    await expect(refused).rejects.toBeInstanceOf(LaneCountChangeRefusedError);
    await expect(refused).rejects.toThrow(/lane 12: 1 waiting or in delivery/);
    expect(await space.redis.get(laneCountKey(space.prefix))).toBe('8');
    expect(await lanesHoldingCommits(space.redis, space.prefix, 8, undefined, 16)).toEqual([
      { lane: 12, pending: 1, failed: 0 },
    ]);
  });

  it('refuses to record any count while lanes hold commits but theirs was removed, naming those they fit', async () => {
    // Stored under 4 lanes, each in its key's lane; then the count's key removed by hand.
    await claimLaneCount(space.redis, space.prefix, 4);
    for (const key of ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']) {
      const commit = { bucketType: 'default', bucket: 'b', key, op: 'put', siblings: [] };
      const lane = laneOf(commit, 4);
      await withLaneQueue(space.redis, space.prefix, lane, (queue) =>
        queue.add('commit', { id: key, lane, commit } as never, { jobId: key }),
      );
    }
    await space.redis.del(laneCountKey(space.prefix));

    // Not even 4: a sample of commits fits several counts, and only the operator knows theirs.
    for (const lanes of [16, 4]) {
      const refused = await claimLaneCount(space.redis, space.prefix, lanes).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(LaneCountUnrecordedError);
      expect((refused as LaneCountUnrecordedError).fits).toContain(4);
      expect((refused as LaneCountUnrecordedError).fits).not.toContain(16);
      expect((refused as Error).message).toMatch(
        new RegExp(
          `^no lane count is recorded under .*:\\{meta\\}:lanes, yet lanes .* hold commits: .*\\(${lanes} here\\).* Their head commits fit LANES=(\\d+, )*4\\b`,
        ),
      );
    }
    expect(await space.redis.get(laneCountKey(space.prefix))).toBeNull();
    // Set back by the operator: taken as any recorded count is.
    await space.redis.set(laneCountKey(space.prefix), '4');
    expect(await claimLaneCount(space.redis, space.prefix, 4)).toEqual({ changedFrom: undefined });
  });

  it('records a count when lanes hold only failed deliveries that the count keeps', async () => {
    await failJob(2, 'failed-in-2');
    await space.redis.del(laneCountKey(space.prefix));
    await expect(claimLaneCount(space.redis, space.prefix, 2)).rejects.toBeInstanceOf(
      LaneCountUnrecordedError,
    );
    expect(await claimLaneCount(space.redis, space.prefix, 4)).toEqual({ changedFrom: undefined });
    expect(await space.redis.get(laneCountKey(space.prefix))).toBe('4');
  });

  it('lets failed deliveries block only a change that drops their lane', async () => {
    await claimLaneCount(space.redis, space.prefix, 16);
    await failJob(12, 'failed-1');
    expect(await lanesHoldingCommits(space.redis, space.prefix, 16, 8)).toEqual([
      { lane: 12, pending: 0, failed: 1 },
    ]);
    await expect(claimLaneCount(space.redis, space.prefix, 8, undefined, quick)).rejects.toThrow(
      /lane 12: 1 failed/,
    );
    // Lane 12 stays with 13 lanes or more: a re-drive puts the commit where a worker reads.
    expect(await claimLaneCount(space.redis, space.prefix, 13, undefined, quick)).toEqual({
      changedFrom: 16,
    });
  });

  it('waits out a store under way: a commit an old ingest adds once the fence is up refuses the change', async () => {
    await claimLaneCount(space.redis, space.prefix, 16);
    const change = claimLaneCount(space.redis, space.prefix, 8, undefined, {
      storesUnderWayMs: 1000,
    });
    const refused = expect(change).rejects.toBeInstanceOf(LaneCountChangeRefusedError);
    await waitFor(async () => (await space.redis.exists(laneChangeKey(space.prefix))) === 1, {
      description: 'the fence',
    });
    // An ingest still on 16 lanes read the count just before the fence went up, and adds now.
    await addJob(12, 'stored-under-the-old-hash');
    await refused;
    expect(await space.redis.get(laneCountKey(space.prefix))).toBe('16');
    expect(await space.redis.exists(laneChangeKey(space.prefix))).toBe(0);
  });

  it('has stores refuse (503) while the count is being changed, storing nothing', async () => {
    await claimLaneCount(space.redis, space.prefix, 16);
    const fence = await raiseLaneChangeFence(space.redis, space.prefix, 8);
    expect(fence).toBeDefined();
    await expect(readLaneCountForStore(space.redis, space.prefix)).rejects.toBeInstanceOf(
      LaneCountChangingError,
    );
    const enqueuer = createCommitEnqueuer({
      connection: space.redis,
      prefix: space.prefix,
      maxLaneBacklog: 100,
      lanes: 16,
    });
    try {
      const data: CommitJobData = {
        id: 'during-the-change',
        lane: 5,
        commit: { bucketType: 'default', bucket: 'b', key: 'k', op: 'delete', siblings: [] },
        receivedAt: new Date().toISOString(),
      };
      const refusedStore = enqueuer.enqueue(data);
      await expect(refusedStore).rejects.toBeInstanceOf(QueueUnavailableError);
      await expect(refusedStore).rejects.toThrow(/being changed \(to 8\)/);
      expect(
        await withLaneQueue(space.redis, space.prefix, 5, (q) => q.getJob('during-the-change')),
      ).toBeUndefined();
      // Another change waits for this one, or, told not to wait, gives up at once.
      await expect(
        claimLaneCount(space.redis, space.prefix, 32, undefined, { otherChangeWaitMs: 0 }),
      ).rejects.toBeInstanceOf(LaneCountChangingError);
      await fence!.release();
      await expect(enqueuer.enqueue(data)).resolves.toMatchObject({ duplicate: false });
    } finally {
      await enqueuer.close();
    }
  });

  it('refuses a change at once, fence never up, while lanes hold commits', async () => {
    await claimLaneCount(space.redis, space.prefix, 16);
    await addJob(3, 'waiting');
    const fenceKey = laneChangeKey(space.prefix);
    const mark = `${space.prefix}:monitor-mark`;
    const seen: string[][] = [];
    const monitor = await monitorRedis(space.redisUrl, (args) => seen.push(args));
    try {
      await expect(
        claimLaneCount(space.redis, space.prefix, 32, undefined, { storesUnderWayMs: 60_000 }),
      ).rejects.toBeInstanceOf(LaneCountChangeRefusedError);
      // A command sent after the claim reaches MONITOR after all of the claim's.
      await space.redis.get(mark);
      await waitFor(() => seen.some((args) => args.includes(mark)), {
        description: 'MONITOR to catch up',
      });
    } finally {
      monitor.stop();
    }
    const touched = seen.filter((args) => args.includes(fenceKey));
    expect(touched).toEqual([]);
  });

  it('only records the count when told not to change it, as a store does', async () => {
    await claimLaneCount(space.redis, space.prefix, 16);
    await expect(
      claimLaneCount(space.redis, space.prefix, 8, undefined, { change: false }),
    ).rejects.toBeInstanceOf(LaneCountMismatchError);
    expect(await space.redis.get(laneCountKey(space.prefix))).toBe('16');
    expect(await space.redis.exists(laneChangeKey(space.prefix))).toBe(0);
  });

  it('does not change the count once its fence has lapsed', async () => {
    await claimLaneCount(space.redis, space.prefix, 16);
    const fenceKey = laneChangeKey(space.prefix);
    const change = claimLaneCount(space.redis, space.prefix, 8, undefined, {
      storesUnderWayMs: 1000,
      otherChangeWaitMs: 0,
    });
    const outcome = change.then(
      () => 'changed',
      (error: unknown) => error,
    );
    await waitFor(async () => (await space.redis.exists(fenceKey)) === 1, {
      description: 'the fence',
    });
    // The fence expired during the check, and another process's stands now.
    await space.redis.set(fenceKey, 'another-process');
    expect(await outcome).toBeInstanceOf(LaneCountChangingError);
    expect(await space.redis.get(laneCountKey(space.prefix))).toBe('16');
    expect(await space.redis.get(fenceKey)).toBe('another-process');
  });
});
