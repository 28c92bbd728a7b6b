/**
 * The common ground of the lane integration tests: a queue prefix of the test's own on the real
 * Redis, an enqueuer, and lane workers that the test starts and that `close()` stops.
 */
import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { createCommitEnqueuer, type CommitEnqueuer } from '../src/commit-enqueuer.ts';
import { startLaneWorkers } from '../src/lane-workers.ts';
import type { LaneWorkersOptions } from '../src/lane-workers-options.ts';
import type { LaneJob, LaneOutcome } from '../src/lane-job.ts';
import type { CommitJobData } from '../src/commit-job.ts';
import { createRedisConnection, type RedisConnection } from '../src/redis-connection.ts';

/** Commit `c-<lane>-<n>` of key `k<n>` (or `key`), with one empty value. */
export function laneCommit(lane: number, n: number, key = `k${n}`): CommitJobData {
  return {
    id: `c-${lane}-${n}`,
    lane,
    commit: { bucketType: 'default', bucket: 'b', key, op: 'put', siblings: [{ value: '' }] },
    receivedAt: new Date().toISOString(),
  };
}

export interface LaneSpace {
  space: TestQueuePrefix;
  producer: RedisConnection;
  enqueuer: CommitEnqueuer;
  /** Starts lane workers on their own connection; resolves to a function that stops them. */
  startWorkers(
    lanes: number[],
    handle: (job: LaneJob) => Promise<LaneOutcome>,
    followers?: LaneWorkersOptions['followers'],
    onError?: LaneWorkersOptions['onError'],
    idleWaitSeconds?: number,
  ): Promise<() => Promise<void>>;
  /** Runs `close` when the space closes (queues and the like the test opened). */
  onClose(close: () => Promise<unknown>): void;
  close(): Promise<void>;
}

export function openLaneSpace(): LaneSpace {
  const space = createTestQueuePrefix();
  const producer = createRedisConnection({
    url: space.redisUrl,
    role: 'producer',
    onError: () => {},
  });
  const enqueuer = createCommitEnqueuer({
    connection: producer,
    prefix: space.prefix,
    maxLaneBacklog: 10_000,
    lanes: 16,
  });
  const closers: (() => Promise<unknown>)[] = [];
  return {
    space,
    producer,
    enqueuer,
    async startWorkers(lanes, handle, followers, onError, idleWaitSeconds) {
      const connection = createRedisConnection({
        url: space.redisUrl,
        role: 'worker',
        onError: () => {},
      });
      const started = await startLaneWorkers({
        connection,
        prefix: space.prefix,
        lanes,
        workerName: 'test-worker',
        lockDurationMs: 5000,
        dedupWindowMs: 3_600_000,
        handle,
        ...(followers ? { followers } : {}),
        ...(onError ? { onError } : {}),
        ...(idleWaitSeconds === undefined ? {} : { idleWaitSeconds }),
      });
      let stopped = false;
      const stop = async (): Promise<void> => {
        if (stopped) return;
        stopped = true;
        await started.close();
        await connection.quit();
      };
      closers.push(stop);
      return stop;
    },
    onClose(close) {
      closers.push(close);
    },
    async close() {
      for (const close of closers.splice(0).reverse()) await close();
      await enqueuer.close();
      producer.disconnect();
      await space.cleanup();
    },
  };
}
