import {
  checkRedisSafety,
  QueueUnavailableError,
  type CommitEnqueuer,
  type RedisConnection,
  type RedisSafety,
  UnsafeRedisError,
} from '@commitlog/queue';
import type { Logger } from '@commitlog/runtime';

/**
 * What the ingest last learned of its Redis' settings. Start-up refuses an unsafe Redis, but
 * Redis can change under a running ingest (it was down at start-up, a failover to a replica set
 * up differently, a `CONFIG SET`): the settings are read again on every (re)connection and every
 * `/readyz`, and while the last reading says unsafe, commits are refused with 503.
 */
export interface RedisSafetyWatch {
  /** The last reading, or undefined before the first one succeeded. */
  current(): RedisSafety | undefined;
  /** Reads the settings now (rejects when Redis does not answer). */
  check(): Promise<RedisSafety>;
  /** An enqueuer that refuses (QueueUnavailableError) while the last reading is unsafe. */
  guard(enqueuer: Pick<CommitEnqueuer, 'enqueue'>): Pick<CommitEnqueuer, 'enqueue'>;
  stop(): void;
}

export function watchRedisSafety(connection: RedisConnection, logger: Logger): RedisSafetyWatch {
  let last: RedisSafety | undefined;

  async function check(): Promise<RedisSafety> {
    const safety = await checkRedisSafety(connection);
    if (!safety.safe && last?.safe !== false) {
      logger.error(
        { problems: safety.problems },
        'UNSAFE REDIS: commits are refused (503) until Redis is set up so that it cannot lose them',
      );
    } else if (safety.safe && last?.safe === false) {
      logger.info('Redis is set up safely again: accepting commits');
    }
    last = safety;
    return safety;
  }

  const onReady = (): void => {
    check().catch((err: unknown) => logger.warn({ err }, 'could not read Redis settings'));
  };
  connection.on('ready', onReady);

  return {
    current: () => last,
    check,
    guard(enqueuer) {
      return {
        enqueue(data) {
          if (last !== undefined && !last.safe) {
            return Promise.reject(new QueueUnavailableError(new UnsafeRedisError(last)));
          }
          return enqueuer.enqueue(data);
        },
      };
    },
    stop() {
      connection.off('ready', onReady);
    },
  };
}
