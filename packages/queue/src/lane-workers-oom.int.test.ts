// A Redis at its maxmemory under `noeviction` (what DESIGN asks for) refuses every write that
// may grow memory. That is what happens when Kafka is down long enough for the backlog to fill
// Redis, exactly while lanes retry: a retry's writes (its progress, its hold of the lane) are
// refused. The retrying job must stay at the head of its lane, never fail for good and let a newer
// version of its key past it.
import { startPrivateRedis, waitFor, type PrivateRedis } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommitJobData } from './commit-job.ts';
import { createCommitEnqueuer, type CommitEnqueuer } from './commit-enqueuer.ts';
import { startLaneWorkers } from './lane-workers.ts';
import type { LaneWorkersOptions } from './lane-workers-options.ts';
import type { LaneJob, LaneOutcome } from './lane-job.ts';
import { recordStall, stallRecords } from './delivery-views.ts';
import { markHolder } from './job-holder.ts';
import {
  createRedisConnection,
  whenFirstConnected,
  type RedisConnection,
} from './redis-connection.ts';
import { openLaneQueue } from './with-lane-queue.ts';

const PREFIX = 'oom';

function version(n: number): CommitJobData {
  return {
    id: `v${n}`,
    lane: 0,
    commit: { bucketType: 'default', bucket: 'b', key: 'same-key', op: 'put', siblings: [] },
    receivedAt: new Date().toISOString(),
  };
}

describe('lane workers on a Redis that refuses writes (maxmemory, noeviction)', () => {
  let redis: PrivateRedis;
  let admin: RedisConnection;
  let producer: RedisConnection;
  let enqueuer: CommitEnqueuer;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    redis = await startPrivateRedis();
    admin = createRedisConnection({ url: redis.url, role: 'producer', onError: () => {} });
    producer = createRedisConnection({ url: redis.url, role: 'producer', onError: () => {} });
    enqueuer = createCommitEnqueuer({
      connection: producer,
      prefix: PREFIX,
      maxLaneBacklog: 100,
      lanes: 16,
    });
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await enqueuer.close();
    producer.disconnect();
    admin.disconnect();
    await redis.cleanup();
  });

  /** Lane 0's workers on their own connection, stopped after the test. */
  async function startWorkers(
    handle: (job: LaneJob) => Promise<LaneOutcome>,
    extra: Pick<LaneWorkersOptions, 'followers' | 'onError'>,
  ): Promise<void> {
    const connection = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
    const workers = await startLaneWorkers({
      connection,
      prefix: PREFIX,
      lanes: [0],
      workerName: 'oom-test',
      lockDurationMs: 5000,
      dedupWindowMs: 3_600_000,
      handle,
      ...extra,
    });
    closers.push(async () => {
      await workers.close();
      connection.disconnect();
    });
  }

  it('keeps a retrying job at the head of its lane, in order, and fails nothing', async () => {
    for (const n of [1, 2, 3]) await enqueuer.enqueue(version(n));
    const handled: string[] = [];
    const delivered: string[] = [];
    const errors: string[] = [];
    let full = false;
    const retry = (): LaneOutcome => ({
      kind: 'retry',
      delayMs: 200,
      progress: { attempt: 1, lastError: 'Kafka down', nextTryAt: Date.now() + 200, heldSince: 0 },
    });
    const handle = async (job: LaneJob): Promise<LaneOutcome> => {
      handled.push(job.id);
      if (handled.length === 1) {
        // Kafka is down, and Redis fills up meanwhile: from now on it refuses the retry's writes.
        await admin.config('SET', 'maxmemory', '1');
        full = true;
        return retry();
      }
      if (full) return retry();
      delivered.push(job.id);
      return { kind: 'delivered' };
    };
    await startWorkers(handle, { onError: ({ error }) => errors.push(error.message) });

    // Several tries go by on the full Redis, each refused the same way.
    await waitFor(() => errors.filter((m) => m.includes('OOM')).length >= 3, {
      description: 'Redis refusing writes of three tries',
    });
    // What the retry records for the dashboard and `status` is written all the same.
    const lane = openLaneQueue(admin, PREFIX, 0);
    closers.push(() => lane.close());
    expect((await lane.getJob('v1'))?.progress).toMatchObject({ lastError: 'Kafka down' });
    // Redis has room again (Kafka back, the operator raised maxmemory).
    full = false;
    await admin.config('SET', 'maxmemory', '0');
    await waitFor(() => delivered.length >= 3, {
      timeoutMs: 15_000,
      description: 'every version delivered',
    });

    expect(delivered).toEqual(['v1', 'v2', 'v3']);
    expect(handled.slice(0, 1)).toEqual(['v1']);
    // Until v1 was delivered, the lane handed out nothing but v1.
    expect(handled.slice(0, handled.indexOf('v2')).every((id) => id === 'v1')).toBe(true);
    expect(await lane.getFailedCount()).toBe(0);
  });

  it('records a stall while Redis refuses writes: the one an operator must see then', async () => {
    await enqueuer.enqueue(version(7));
    const lane0 = openLaneQueue(admin, PREFIX, 0);
    closers.push(() => lane0.close());
    const jobKey = lane0.toKey('v7');
    await whenFirstConnected(admin, 5000);
    await admin.config('SET', 'maxmemory', '1');
    try {
      await expect(admin.set(`${PREFIX}:probe`, '1')).rejects.toThrow(/OOM/);
      // The holder's name, written as a delivery starts, is what the record names.
      expect(await markHolder(admin, jobKey, 'w-1')).toBe(true);
      await recordStall(admin, PREFIX, {
        lane: 0,
        jobId: 'v7',
        at: 1_700_000_000_000,
        worker: 'w-1',
      });
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    expect(await admin.hget(jobKey, 'clh')).toBe('w-1');
    expect(await stallRecords(admin, PREFIX)).toEqual([
      expect.objectContaining({ lane: 0, jobId: 'v7', at: 1_700_000_000_000, worker: 'w-1' }),
    ]);
  });

  it('records a delivery made as Redis fills up: no follower produced twice, an old version posted again is a duplicate', async () => {
    for (const n of [1, 2]) await enqueuer.enqueue(version(n));
    const produced: string[][] = [];
    const handle = async (job: LaneJob): Promise<LaneOutcome> => {
      produced.push([job.id, ...job.followers.map((f) => f.id)]);
      // Kafka acknowledged v1 with v2 riding along; Redis reached its maxmemory meanwhile.
      if (produced.length === 1) await admin.config('SET', 'maxmemory', '1');
      return { kind: 'delivered', followers: job.followers.length };
    };
    await startWorkers(handle, { followers: { maxJobs: 10, maxBytes: 1 << 20 } });
    const lane = openLaneQueue(admin, PREFIX, 0);
    closers.push(() => lane.close());

    // BullMQ completes v1 even on the full Redis (its first write deletes the lock).
    await waitFor(async () => (await lane.getJob('v1')) === undefined, {
      description: 'v1 completed',
    });
    await admin.config('SET', 'maxmemory', '0');
    await waitFor(async () => (await lane.getJobCounts('active')).active === 0);

    expect(produced).toEqual([['v1', 'v2']]);
    expect(await lane.getJobCounts('wait', 'failed')).toEqual({ wait: 0, failed: 0 });
    // The hook's retry of v1 (its first answer lost) is recognised, not delivered after v2.
    expect(await enqueuer.enqueue(version(1))).toEqual({ id: 'v1', lane: 0, duplicate: true });
  });
});
