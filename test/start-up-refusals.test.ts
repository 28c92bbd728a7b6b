// Services refuse to start, loudly and with exit code 1, on what would lose or misfile commits:
// bad configuration (every bad variable named), a Redis that may evict, a lane count that does
// not match the one the queues were made with while lanes hold commits.
import { commitId, laneOf, parseCommit } from '@commitlog/core';
import {
  createCommitEnqueuer,
  createRedisConnection,
  deleteKeysMatching,
  laneCountKey,
} from '@commitlog/queue';
import {
  freePort,
  putCommit,
  startPrivateRedis,
  testRedisUrl,
  uniqueName,
} from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
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
        INGEST_OPS_PORT: String(await freePort()),
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

  it('refuses a Kafka CA file it cannot use, naming it, before connecting to anything', async () => {
    // Redis and Kafka both point at a listener that counts who connects.
    let connections = 0;
    const listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(listener.address() as AddressInfo).port}`;
    const result = await run('worker', {
      REDIS_URL: `redis://${address}`,
      KAFKA_BROKERS: address,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/nonexistent/kafka-ca.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'commitlog',
      KAFKA_SASL_PASSWORD: 'kafka-password-never-printed',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^commitlog worker: invalid configuration/);
    expect(result.stderr).toContain('KAFKA_SSL_CA_FILE: cannot read "/nonexistent/kafka-ca.pem"');
    expect(result.stderr).not.toContain('kafka-password-never-printed');
    // spawnSync held this loop: a connection the worker made waits in the backlog until now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    expect(connections).toBe(0);
  });

  it('refuses a Redis without AOF when REDIS_REQUIRE_AOF is set', async () => {
    const redis = await startPrivateRedis();
    const admin = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
    try {
      await admin.config('SET', 'appendonly', 'no');
      const required = { REDIS_URL: redis.url, REDIS_REQUIRE_AOF: 'true' };
      const worker = await run('worker', { ...required, KAFKA_BROKERS: '127.0.0.1:9' });
      expect(worker.status).toBe(1);
      expect(worker.stdout + worker.stderr).toContain('UNSAFE_REDIS');
      expect(worker.stdout + worker.stderr).toContain(
        'set appendonly yes (REDIS_REQUIRE_AOF is set)',
      );
      const ingest = await run('ingest', {
        ...required,
        INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters',
      });
      expect(ingest.status).toBe(1);
      expect(ingest.stdout + ingest.stderr).toContain('appendonly is off');
    } finally {
      admin.disconnect();
      await redis.cleanup();
    }
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

  it('refuses a change of lane count while a lane holds commits, saying how to drain', async () => {
    const prefix = uniqueName('lanes');
    const redis = createRedisConnection({
      url: testRedisUrl(),
      role: 'producer',
      onError: () => {},
    });
    const enqueuer = createCommitEnqueuer({
      connection: redis,
      prefix,
      maxLaneBacklog: 10,
      lanes: 8,
    });
    try {
      const commit = parseCommit(putCommit({ bucket: 'b', key: 'k', value: 'v' }));
      await enqueuer.enqueue({
        id: commitId(commit),
        lane: laneOf(commit, 8),
        commit,
        receivedAt: new Date().toISOString(),
      });
      const env = { REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix, KAFKA_BROKERS: '127.0.0.1:9' };
      const worker = await run('worker', { ...env, LANES: '4' });
      expect(worker.status).toBe(1);
      expect(worker.stdout + worker.stderr).toContain('LANES_CHANGE_REFUSED');
      expect(worker.stdout + worker.stderr).toContain(
        'LANES=4 but the queues in this Redis were made with LANES=8, and 1 of those lanes still hold commits',
      );
      expect(worker.stdout + worker.stderr).toContain('commitlog status');
    } finally {
      await enqueuer.close();
      await deleteKeysMatching(redis, `${prefix}:*`);
      redis.disconnect();
    }
  });

  it('fails on a port taken in one line naming it, leaving the recorded lane count as it was', async () => {
    const prefix = uniqueName('port');
    const redis = createRedisConnection({
      url: testRedisUrl(),
      role: 'worker',
      onError: () => {},
    });
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as AddressInfo).port);
    try {
      await redis.set(laneCountKey(prefix), '4');
      const ingest = await run('ingest', {
        REDIS_URL: testRedisUrl(),
        QUEUE_PREFIX: prefix,
        LANES: '8',
        INGEST_PORT: port,
        INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters',
      });
      expect(ingest.status).toBe(1);
      expect(ingest.stderr).toBe(
        `commitlog ingest: failed to start: cannot listen on 127.0.0.1:${port} (INGEST_HOST, INGEST_PORT): the port is taken\n`,
      );
      // The ingests still running with LANES=4 go on storing.
      expect(await redis.get(laneCountKey(prefix))).toBe('4');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
      await deleteKeysMatching(redis, `${prefix}:*`);
      redis.disconnect();
    }
  });

  it('refuses a database that Redis does not have, naming REDIS_URL', async () => {
    for (const role of ['ingest', 'worker'] as const) {
      const result = await run(role, {
        REDIS_URL: `${testRedisUrl()}/99`,
        QUEUE_PREFIX: uniqueName('db'),
        KAFKA_BROKERS: '127.0.0.1:9',
        INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters',
      });
      expect(result.status, role).toBe(1);
      expect(result.stderr, role).toMatch(
        new RegExp(
          `^commitlog ${role}: failed to start: Redis refused database 99 .*REDIS_URL\\)\\n$`,
        ),
      );
    }
  });
});
