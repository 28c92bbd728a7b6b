// Services refuse to start, loudly and with exit code 1, on what would lose or misfile commits:
// bad configuration (every bad variable named), a Redis that may evict, a lane count that does
// not match the one the queues were made with.
import { claimLaneCount, createRedisConnection, deleteKeysMatching } from '@commitlog/queue';
import { freePort, startPrivateRedis, testRedisUrl, uniqueName } from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

async function run(role: 'ingest' | 'worker', env: Record<string, string>) {
  const port = String(await freePort());
  return spawnSync(
    process.execPath,
    ['--disable-warning=TimeoutNegativeWarning', `apps/${role}/src/main.ts`],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        LOG_LEVEL: 'warn',
        INGEST_PORT: port,
        WORKER_PORT: port,
        ...env,
      },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
}

describe('start-up refusals', () => {
  it('names every bad variable in one message and exits 1', async () => {
    const result = await run('ingest', { INGEST_PORT: 'abc', LANES: '0', INGEST_SECRETS: 'short' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^commitlog ingest: invalid configuration/);
    for (const variable of ['INGEST_PORT', 'LANES', 'INGEST_SECRETS']) {
      expect(result.stderr).toContain(variable);
    }
    expect(result.stderr).not.toContain('short');
  });

  it('refuses a Redis that may evict accepted commits', async () => {
    const redis = await startPrivateRedis();
    const admin = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
    try {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const worker = await run('worker', { REDIS_URL: redis.url, KAFKA_BROKERS: '127.0.0.1:9' });
      expect(worker.status).toBe(1);
      expect(worker.stdout + worker.stderr).toContain('UNSAFE_REDIS');
      expect(worker.stdout + worker.stderr).toContain('allkeys-lru');
      const ingest = await run('ingest', {
        REDIS_URL: redis.url,
        INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters',
      });
      expect(ingest.status).toBe(1);
      expect(ingest.stdout + ingest.stderr).toContain('UNSAFE_REDIS');
    } finally {
      admin.disconnect();
      await redis.cleanup();
    }
  });

  it('refuses a lane count other than the one the queues were made with', async () => {
    const prefix = uniqueName('lanes');
    const redis = createRedisConnection({ url: testRedisUrl(), role: 'worker', onError: () => {} });
    try {
      await claimLaneCount(redis, prefix, 8);
      const worker = await run('worker', {
        REDIS_URL: testRedisUrl(),
        QUEUE_PREFIX: prefix,
        LANES: '4',
        KAFKA_BROKERS: '127.0.0.1:9',
      });
      expect(worker.status).toBe(1);
      expect(worker.stdout + worker.stderr).toContain(
        'LANES=4 but the queues in this Redis were made with LANES=8',
      );
    } finally {
      await deleteKeysMatching(redis, `${prefix}:*`);
      redis.disconnect();
    }
  });
});
