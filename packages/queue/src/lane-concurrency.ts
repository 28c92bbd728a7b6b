import type { RedisConnection } from './redis-connection.ts';
import { untilRedisAnswers } from './redis-retry.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** The pause before a lane's start-up write is asked again while Redis settles. */
const SETTLING_RETRY_MS = 500;

/**
 * Sets each lane's BullMQ global concurrency to 1: one job of a lane active at a time across
 * every worker process, which is what keeps per-key order. A Redis Cluster that has just formed
 * answers CLUSTERDOWN or MOVED for a while after its nodes answer (a start-up's checks can pass
 * in between): such a write is asked again, not fatal (`untilRedisAnswers`), until `stopped()`.
 */
export async function holdEachLaneToOne(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  options: { stopped: () => boolean; onRetry?: (lane: number, error: unknown) => void },
): Promise<void> {
  for (const lane of lanes) {
    await untilRedisAnswers(
      () => withLaneQueue(connection, prefix, lane, (queue) => queue.setGlobalConcurrency(1)),
      {
        stopped: options.stopped,
        onRetry: (error) => options.onRetry?.(lane, error),
        pauseMs: SETTLING_RETRY_MS,
      },
    );
  }
}
