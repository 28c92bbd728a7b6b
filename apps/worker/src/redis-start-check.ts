import {
  checkRedisSafety,
  claimLaneCount,
  RedisIsAReplicaError,
  untilRedisAnswers,
  type RedisConnection,
  type RedisSafety,
} from '@commitlog/queue';
import type { Logger, WorkerConfig } from '@commitlog/runtime';

/**
 * The worker's start-up step on Redis: reads its settings and, when they are safe, claims the
 * lane count in the same step (a cluster that has just formed can pass the check, INFO, and still
 * refuse the claim's write while its nodes agree). Tried again while Redis does not answer, and
 * while it is only a replica: a failover may still be under way behind REDIS_URL's name, and
 * connected again the name may lead to the new primary (a running worker does the same at
 * READONLY). Returns the reading; the caller refuses one that is not safe.
 */
export function checkRedisAndClaimLanes(
  connection: RedisConnection,
  config: Pick<WorkerConfig, 'requireAof' | 'queuePrefix' | 'lanes'>,
  logger: Logger,
  stopped: () => boolean,
): Promise<RedisSafety> {
  return untilRedisAnswers(
    async () => {
      const reading = await checkRedisSafety(connection, { requireAof: config.requireAof });
      if (reading.onlyAReplica) {
        connection.disconnect(true);
        throw new RedisIsAReplicaError(reading.problems);
      }
      if (reading.safe) {
        await claimLaneCount(connection, config.queuePrefix, config.lanes, logger);
      }
      return reading;
    },
    {
      stopped,
      onRetry: (err) =>
        err instanceof RedisIsAReplicaError
          ? logger.warn({ problems: err.message }, 'Redis is a replica; waiting for a primary')
          : logger.debug({ err }, 'Redis does not answer yet; asking again'),
    },
  );
}
