import { laneQueueName } from './lane-queue-name.ts';
import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';
import { untilRedisAnswers } from './redis-retry.ts';

/** The pause before a lane's start-up write is asked again while Redis settles. */
const SETTLING_RETRY_MS = 500;

/**
 * Sets each lane's BullMQ global concurrency to 1 (what BullMQ's `setGlobalConcurrency(1)`
 * writes) where it is not: one job of a lane active at a time across every worker process, which
 * is what keeps per-key order. Written only where missing: a Redis past its maxmemory refuses
 * even a write that changes nothing, and a worker restarted during such an incident would exit
 * rather than wait for room. A Redis Cluster that has just formed answers CLUSTERDOWN or MOVED
 * for a while after its nodes answer (a start-up's checks can pass in between): such a write is
 * asked again, not fatal (`untilRedisAnswers`), until `stopped()`.
 */
export async function holdEachLaneToOne(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  options: { stopped: () => boolean; onRetry?: (lane: number, error: unknown) => void },
): Promise<void> {
  for (const lane of lanes) {
    await untilRedisAnswers(
      () => RESTORE_ONE_AT_A_TIME.run(connection, [laneMetaKey(prefix, lane)], []),
      {
        stopped: options.stopped,
        onRetry: (error) => options.onRetry?.(lane, error),
        pauseMs: SETTLING_RETRY_MS,
      },
    );
  }
}

/** Sets a lane's global concurrency to 1 when it is not; answers 1 when it had to. */
const RESTORE_ONE_AT_A_TIME = luaScript(`
if redis.call('HGET', KEYS[1], 'concurrency') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'concurrency', 1)
return 1
`);

/**
 * Sets again the one-job-at-a-time limit of each lane that lost it, and returns those lanes. It is
 * written once, at a worker's start, into the lane's meta hash: a meta hash removed later (by
 * hand, a queue obliterated, a Redis emptied behind the same address) takes the limit with it,
 * and two workers then take jobs of one lane at once, out of per-key order, until one restarts.
 */
export async function restoreLaneLimits(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
): Promise<number[]> {
  const restored: number[] = [];
  for (const lane of lanes) {
    const meta = laneMetaKey(prefix, lane);
    if (Number(await RESTORE_ONE_AT_A_TIME.run(connection, [meta], [])) === 1) restored.push(lane);
  }
  return restored;
}

/** The lane queue's BullMQ meta hash, where its global concurrency is kept. */
function laneMetaKey(prefix: string, lane: number): string {
  return `${prefix}:${laneQueueName(lane)}:meta`;
}
