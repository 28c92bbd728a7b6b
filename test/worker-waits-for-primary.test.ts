// A worker started while REDIS_URL still leads to a replica (a failover not finished behind the
// name): it waits, connecting again, and starts once that Redis is a primary; it exited with
// UNSAFE_REDIS, and the restarts' growing back-off kept it down after the failover was over.
import { createRedisConnection } from '@commitlog/queue';
import { startPrivateRedis, testKafkaBrokers, waitFor } from '@commitlog/testkit';
import { describe, expect, it } from 'vitest';
import { spawnWorker } from './support/worker-process.ts';

describe('a worker started on a replica', () => {
  it('waits for it to become a primary, then starts, instead of exiting', async () => {
    const [primary, replica] = [await startPrivateRedis(), await startPrivateRedis()];
    const admin = createRedisConnection({ url: replica.url, role: 'worker', onError: () => {} });
    try {
      await admin.replicaof('127.0.0.1', String(primary.port));
      const worker = await spawnWorker({
        REDIS_URL: replica.url,
        KAFKA_BROKERS: testKafkaBrokers().join(','),
      });
      let exitedEarly = false;
      void worker.exited.then(() => (exitedEarly = true));
      try {
        await waitFor(() => worker.output().includes('Redis is a replica; waiting for a primary'), {
          timeoutMs: 30_000,
          description: 'the worker waiting for a primary',
        });
        expect(exitedEarly, worker.output()).toBe(false);
        expect(await worker.readiness()).toBe(503);
        // The failover completes: the same address is a primary now.
        await admin.replicaof('NO', 'ONE');
        await waitFor(async () => (await worker.readiness()) === 200, {
          timeoutMs: 30_000,
          description: 'the worker ready once its Redis is a primary',
        });
        expect(worker.output()).not.toContain('UNSAFE_REDIS');
        worker.signal('SIGTERM');
        const [code] = await worker.exited;
        expect(code, worker.output()).toBe(0);
      } finally {
        worker.signal('SIGKILL');
      }
    } finally {
      admin.disconnect();
      await replica.cleanup();
      await primary.cleanup();
    }
  }, 90_000);
});
