import { startPrivateRedis, waitFor, type PrivateRedis } from '@commitlog/testkit';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRedisConnection,
  whenFirstConnected,
  type RedisConnection,
} from './redis-connection.ts';

describe('a producer connection that loses Redis with a command in flight', () => {
  let redis: PrivateRedis;
  let admin: Redis;
  let producer: RedisConnection;

  beforeEach(async () => {
    redis = await startPrivateRedis();
    admin = new Redis(redis.url);
    producer = createRedisConnection({ url: redis.url, role: 'producer', onError: () => {} });
    await whenFirstConnected(producer, 10_000);
  });

  afterEach(async () => {
    producer.disconnect();
    admin.disconnect();
    await redis.cleanup();
  });

  it('fails the command rather than sending it again after it reconnects', async () => {
    // Sent again, a job added before the drop could be added a second time after its delivery
    // (and after newer versions of its object): the caller answers 503 instead, and the hook's
    // retry finds the commit stored or delivered.
    const id = Number(await (producer as Redis).client('ID'));
    await admin.client('PAUSE', 3_000, 'WRITE');
    const write = producer.incr('written');
    const outcome = write.then(
      () => 'written',
      (error: unknown) => `failed: ${(error as Error).message}`,
    );
    // Paused, the INCR waits in Redis unexecuted; the connection it came on is then dropped.
    await waitFor(
      async () => String(await admin.client('LIST', 'ID', String(id))).includes('cmd=incr'),
      { description: 'the INCR waiting in the paused Redis' },
    );
    await admin.client('KILL', 'ID', String(id));
    await admin.client('UNPAUSE');
    expect(await outcome).toMatch(/^failed: /);
    await waitFor(async () => (await producer.ping().catch(() => '')) === 'PONG', {
      description: 'the producer connected again',
    });
    expect(await admin.get('written')).toBeNull();
  });
});
