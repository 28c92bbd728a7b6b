// A worker started while REDIS_URL still leads to a replica (a failover not finished behind the
// name): it waits, connecting again, and starts once that Redis is a primary; it exited with
// UNSAFE_REDIS, and the restarts' growing back-off kept it down after the failover was over.
import { createRedisConnection } from '@commitlog/queue';
import { freePort, startPrivateRedis, testKafkaBrokers, waitFor } from '@commitlog/testkit';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('a worker started on a replica', () => {
  it('waits for it to become a primary, then starts, instead of exiting', async () => {
    const [primary, replica] = [await startPrivateRedis(), await startPrivateRedis()];
    const admin = createRedisConnection({ url: replica.url, role: 'worker', onError: () => {} });
    const port = await freePort();
    let output = '';
    try {
      await admin.replicaof('127.0.0.1', String(primary.port));
      const worker = spawn(
        process.execPath,
        ['--disable-warning=TimeoutNegativeWarning', 'apps/worker/src/main.ts'],
        {
          cwd: root,
          env: {
            PATH: process.env.PATH,
            LOG_LEVEL: 'info',
            WORKER_PORT: String(port),
            REDIS_URL: replica.url,
            KAFKA_BROKERS: testKafkaBrokers().join(','),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      worker.stdout.on('data', (c: Buffer) => (output += c.toString()));
      worker.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const exited = once(worker, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      let exitedEarly = false;
      void exited.then(() => (exitedEarly = true));
      try {
        await waitFor(() => output.includes('Redis is a replica; waiting for a primary'), {
          timeoutMs: 30_000,
          description: 'the worker waiting for a primary',
        });
        expect(exitedEarly, output).toBe(false);
        const ready = async () =>
          (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status;
        expect(await ready()).toBe(503);
        // The failover completes: the same address is a primary now.
        await admin.replicaof('NO', 'ONE');
        await waitFor(async () => (await ready()) === 200, {
          timeoutMs: 30_000,
          description: 'the worker ready once its Redis is a primary',
        });
        expect(output).not.toContain('UNSAFE_REDIS');
        worker.kill('SIGTERM');
        const [code] = await exited;
        expect(code, output).toBe(0);
      } finally {
        worker.kill('SIGKILL');
      }
    } finally {
      admin.disconnect();
      await replica.cleanup();
      await primary.cleanup();
    }
  }, 90_000);
});
