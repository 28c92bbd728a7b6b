// A worker started while its Redis is away: alive and saying what it waits for, then delivering
// once Redis answers. Real Redis (a private one, stopped and started) and the real Kafka broker.
import { createLogger, loadWorkerConfig } from '@commitlog/runtime';
import {
  freePort,
  startPrivateRedis,
  testKafkaBrokers,
  waitFor,
  type PrivateRedis,
} from '@commitlog/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from './start-worker.ts';

describe('a worker started before its Redis', () => {
  let redis: PrivateRedis | undefined;
  let worker: RunningWorker | undefined;

  afterEach(async () => {
    await worker?.close();
    await redis?.stop();
    await redis?.cleanup();
  });

  it('answers /healthz and a /readyz that names Redis while it waits, and starts once Redis is up', async () => {
    redis = await startPrivateRedis();
    await redis.stop();
    const port = await freePort();
    const config = loadWorkerConfig({
      REDIS_URL: redis.url,
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      LANES: '2',
      WORKER_PORT: String(port),
      QUEUE_PREFIX: `start-wait-${process.pid}-${Date.now()}`,
    });
    const starting = startWorker(config, createLogger({ service: 'worker', level: 'silent' }));
    const ops = `http://127.0.0.1:${port}`;

    const waiting = await waitFor(
      async () => {
        const response = await fetch(`${ops}/readyz`).catch(() => undefined);
        return response && { status: response.status, body: await response.text() };
      },
      { description: 'the ops server while start-up waits for Redis' },
    );
    expect(waiting.status).toBe(503);
    expect(waiting.body).toContain('waiting for Redis');
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);

    await redis.start();
    worker = await starting;
    expect(worker.opsPort).toBe(port);
    await waitFor(async () => (await fetch(`${ops}/readyz`)).status === 200, {
      description: 'ready once Redis answers',
    });
  }, 60_000);
});
