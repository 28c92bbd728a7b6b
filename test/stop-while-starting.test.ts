// A worker told to stop while its start-up waits for Redis (a rollout during an outage): it stops
// as a graceful stop does, with its shutdown log and exit code 0, instead of Node's default for
// the signal, which killed it there with nothing logged.
import { NOTHING_LISTENS_PORT, testKafkaBrokers, waitFor } from '@commitlog/testkit';
import { describe, expect, it } from 'vitest';
import { spawnWorker } from './support/worker-process.ts';

describe('a signal while a role starts', () => {
  it('stops a worker that waits for Redis, with its shutdown log and exit code 0', async () => {
    const worker = await spawnWorker({
      // Nothing listens there: the start-up waits for Redis.
      REDIS_URL: `redis://127.0.0.1:${NOTHING_LISTENS_PORT}`,
      KAFKA_BROKERS: testKafkaBrokers().join(','),
    });
    try {
      await waitFor(async () => (await worker.readiness()) === 503, {
        timeoutMs: 20_000,
        description: 'the worker waiting for Redis',
      });
      worker.signal('SIGTERM');
      const [code, signal] = await worker.exited;
      expect({ code, signal }, worker.output()).toEqual({ code: 0, signal: null });
      expect(worker.output()).toContain('"msg":"shut down"');
      expect(worker.output()).not.toContain('failed to start');
    } finally {
      worker.signal('SIGKILL');
    }
  }, 60_000);
});
