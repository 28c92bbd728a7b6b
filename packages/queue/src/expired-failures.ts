import type { RedisConnection } from './redis-connection.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** Failed jobs removed per script by `removeExpiredFailures`: each holds Redis briefly. */
const REMOVE_AT_ONCE = 1000;

/**
 * Removes the failed deliveries of `lanes` that failed more than `retentionMs` ago, their jobs
 * and all. BullMQ removes them (`removeOnFail.age`) only when another job of the same
 * lane fails: a lane that stopped failing kept its old failures, and the alert on them, for good.
 *
 * @returns how many were removed
 */
export async function removeExpiredFailures(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  retentionMs: number,
): Promise<number> {
  let removed = 0;
  for (const lane of lanes) {
    removed += await withLaneQueue(connection, prefix, lane, async (queue) => {
      let count = 0;
      for (;;) {
        const ids = await queue.clean(retentionMs, REMOVE_AT_ONCE, 'failed');
        count += ids.length;
        if (ids.length < REMOVE_AT_ONCE) return count;
      }
    });
  }
  return removed;
}
