import { createRedisConnection, deleteKeysMatching, type RedisConnection } from '@commitlog/queue';
import { testRedisUrl } from './test-env.ts';
import { uniqueName } from './unique-name.ts';

/** A BullMQ key prefix that belongs to one test, so tests never see each other's queues. */
export interface TestQueuePrefix {
  prefix: string;
  redisUrl: string;
  /** A fail-fast client for assertions on the test's keys; closed by `cleanup`. */
  redis: RedisConnection;
  /** Deletes every key under the prefix. */
  cleanup(): Promise<void>;
}

export function createTestQueuePrefix(options: { redisUrl?: string } = {}): TestQueuePrefix {
  const redisUrl = options.redisUrl ?? testRedisUrl();
  const prefix = uniqueName('cltest');
  const redis = createRedisConnection({
    url: redisUrl,
    role: 'worker',
    onError: () => undefined,
    connectionName: 'commitlog-test',
  });
  return {
    prefix,
    redisUrl,
    redis,
    async cleanup() {
      try {
        await deleteKeysMatching(redis, `${prefix}:*`);
      } finally {
        redis.disconnect();
      }
    },
  };
}
