import { laneFailures, type FailedDelivery } from './failed-deliveries.ts';
import type { RedisConnection } from './redis-connection.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** Failed jobs removed per script by `removeExpiredFailures`: each holds Redis briefly. */
const REMOVE_AT_ONCE = 1000;

/**
 * Jobs read whole at a time to tell where each commit belongs before it is removed: a job holds
 * its commit, up to a megabyte for a `too-large` one.
 */
const READ_AT_ONCE = 16;

/**
 * Removes the failed deliveries of `lanes` that failed more than `retentionMs` ago, their jobs
 * and all. BullMQ removes them (`removeOnFail.age`) only when another job of the same
 * lane fails: a lane that stopped failing kept its old failures, and the alert on them, for good.
 *
 * Those commits are then gone from commitlog, so each is read first (its bucket type, bucket, key,
 * reason and failure time, never its values) for the caller to log: the removal deletes the job
 * that tells them. A job removed though not read first (it became due between the read and the
 * removal) is told by its lane and id alone.
 *
 * @returns the failed deliveries removed
 */
export async function removeExpiredFailures(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  retentionMs: number,
  now: () => number = Date.now,
): Promise<FailedDelivery[]> {
  const removed: FailedDelivery[] = [];
  for (const lane of lanes) {
    await withLaneQueue(connection, prefix, lane, async (queue) => {
      for (;;) {
        const due = await connection.zrangebyscore(
          queue.toKey('failed'),
          '-inf',
          `(${now() - retentionMs}`,
          'LIMIT',
          0,
          REMOVE_AT_ONCE,
        );
        const known = new Map<string, FailedDelivery>();
        for (let i = 0; i < due.length; i += READ_AT_ONCE) {
          const ids = due.slice(i, i + READ_AT_ONCE).map((jobId) => ({ lane, jobId, failedAt: 0 }));
          for (const failure of await laneFailures(connection, queue, ids)) {
            known.set(failure.jobId, failure);
          }
        }
        const ids = await queue.clean(retentionMs, REMOVE_AT_ONCE, 'failed');
        for (const jobId of ids) removed.push(known.get(jobId) ?? unread(lane, jobId));
        if (ids.length < REMOVE_AT_ONCE) return;
      }
    });
  }
  return removed;
}

const UNREAD = '(not read)';

function unread(lane: number, jobId: string): FailedDelivery {
  return {
    lane,
    jobId,
    reason: 'unknown',
    message: '',
    failedAt: Number.NaN,
    bucketType: UNREAD,
    bucket: UNREAD,
    key: UNREAD,
  };
}
