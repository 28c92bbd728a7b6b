// A commit under way while the ingest's Redis fails over to a server set up unsafely: ioredis
// sends again what was in flight as soon as the new connection is ready, before the ingest's
// reading of the new server's settings is back. The commit lands in the unsafe Redis; it must not
// be answered 202 (the hook keeps it, retries, and writes it to its failure log).
import {
  putCommit,
  startPrivateRedis,
  startSystem,
  type PrivateRedis,
  type RunningSystem,
} from '@commitlog/testkit';
import { createRedisConnection, laneQueueName, type RedisConnection } from '@commitlog/queue';
import { afterAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './faults/tcp-proxy.ts';
import { waitFor } from '@commitlog/testkit';

describe('the ingest during a failover to an unsafe Redis', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('does not answer 202 for a commit that was in flight, though it reached the new Redis', async () => {
    const safe: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => safe.cleanup());
    const unsafe: PrivateRedis = await startPrivateRedis({ maxmemoryPolicy: 'allkeys-lru' });
    cleanups.push(() => unsafe.cleanup());
    const proxy: TcpProxy = await startTcpProxy({ target: { host: '127.0.0.1', port: safe.port } });
    cleanups.push(() => proxy.close());
    const system: RunningSystem = await startSystem({
      redisUrl: `redis://${proxy.address}`,
      workers: 0,
      env: { LANES: '2' },
    });
    cleanups.push(() => system.stop());
    expect((await system.post(putCommit({ bucket: 'payments', key: 'before' }))).status).toBe(202);

    // The commit's first Redis command goes out and is held on the way.
    proxy.setFault({ kind: 'blackhole' });
    const commit = putCommit({ bucket: 'payments', key: 'in-flight' });
    const answer = system.post(commit);
    await waitFor(() => proxy.stats().heldBytes > 0, {
      description: 'the in-flight commit held by the proxy',
    });
    // The failover: the connection drops, and the same address now leads to the unsafe Redis.
    proxy.setTarget({ host: '127.0.0.1', port: unsafe.port });
    proxy.setFault({ kind: 'reset' });
    proxy.setFault({ kind: 'none' });

    const response = await answer;
    const unsafeRedis: RedisConnection = createRedisConnection({
      url: unsafe.url,
      role: 'worker', // waits for its connection
      onError: () => undefined,
    });
    cleanups.push(() => unsafeRedis.quit());
    const stored = await Promise.all(
      [0, 1].map((lane) => unsafeRedis.llen(`${system.prefix}:${laneQueueName(lane)}:wait`)),
    );
    // The in-flight store was sent again to the new server and landed there ...
    expect(stored.reduce((a, b) => a + b, 0)).toBe(1);
    // ... but the hook was not told it is safe.
    expect(response.status).toBe(503);
    expect(JSON.stringify(response.body)).toContain('maxmemory-policy');
  });
});
