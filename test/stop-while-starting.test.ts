// A worker told to stop while its start-up waits for Redis (a rollout during an outage): it stops
// as a graceful stop does, with its shutdown log and exit code 0, instead of Node's default for
// the signal, which killed it there with nothing logged.
import { freePort, NOTHING_LISTENS_PORT, testKafkaBrokers, waitFor } from '@commitlog/testkit';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('a signal while a role starts', () => {
  it('stops a worker that waits for Redis, with its shutdown log and exit code 0', async () => {
    const port = await freePort();
    const worker = spawn(
      process.execPath,
      ['--disable-warning=TimeoutNegativeWarning', 'apps/worker/src/main.ts'],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          LOG_LEVEL: 'info',
          WORKER_PORT: String(port),
          // Nothing listens there: the start-up waits for Redis.
          REDIS_URL: `redis://127.0.0.1:${NOTHING_LISTENS_PORT}`,
          KAFKA_BROKERS: testKafkaBrokers().join(','),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    worker.stdout.on('data', (c: Buffer) => (output += c.toString()));
    worker.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = once(worker, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 503,
        { timeoutMs: 20_000, description: 'the worker waiting for Redis' },
      );
      worker.kill('SIGTERM');
      const [code, signal] = await exited;
      expect({ code, signal }, output).toEqual({ code: 0, signal: null });
      expect(output).toContain('"msg":"shut down"');
      expect(output).not.toContain('failed to start');
    } finally {
      worker.kill('SIGKILL');
    }
  }, 60_000);
});
