// Redis over TLS with a CA of the test's own (`rediss://` and REDIS_TLS_CA_FILE), as a payments
// company runs the Redis that holds commit values: a private redis-server with only a TLS port
// (AOF, fsync always). The ingest and a worker deliver a commit through it; the CLI reads it; and
// without the CA nothing trusts the server: the CLI says why in one line, and an ingest answers
// 503 (never 202) and reports itself not ready.
import { defaultTopic } from '@commitlog/core';
import {
  putCommit,
  startPrivateRedis,
  startSystem,
  uniqueName,
  waitFor,
  type PrivateRedis,
  type RunningSystem,
} from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUntil, text, withAdmin } from './support/kafka-check.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function cli(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, ['apps/cli/src/main.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

/** Posts one commit (202 expected) and returns [key, value] of what reached its topic. */
async function postAndRead(system: RunningSystem, key: string, value: string) {
  const bucket = uniqueName('tls-redis');
  const topic = defaultTopic('default', bucket);
  await withAdmin(system.kafkaBrokers, (a) => a.createTopic(topic, { partitions: 1 }));
  const response = await system.post(putCommit({ bucket, key, value }));
  expect(response.status, JSON.stringify(response.body)).toBe(202);
  const got = await readUntil(system.kafkaBrokers, [topic], (r) => r.length >= 1);
  return got.map((r) => [text(r.key), text(r.value)]);
}

describe('Redis over TLS with a private CA', () => {
  let redis: PrivateRedis;
  let caFile: string;
  const systems: RunningSystem[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis({ tls: true });
    if (!redis.certificates) throw new Error('a TLS Redis has certificates');
    caFile = redis.certificates.caFile;
  });

  afterAll(async () => {
    await Promise.all(systems.map((s) => s.stop()));
    await redis?.cleanup();
  });

  it('accepts and delivers a commit through it, and the CLI reads it', async () => {
    expect(redis.url).toMatch(/^rediss:\/\//);
    const system = await startSystem({
      redisUrl: redis.url,
      redisTls: { caFile },
      env: { LANES: '2' },
    });
    systems.push(system);
    expect(await postAndRead(system, 'payment-7', 'settled')).toEqual([['payment-7', 'settled']]);

    const env = { REDIS_URL: redis.url, QUEUE_PREFIX: system.prefix, LANES: '2' };
    const status = cli({ ...env, REDIS_TLS_CA_FILE: caFile }, 'status');
    expect(status.stderr).toBe('');
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('lanes 2');

    const untrusted = cli(env, 'status');
    expect(untrusted.status).toBe(1);
    expect(untrusted.stderr).toMatch(
      new RegExp(`^commitlog: cannot reach Redis at ${redis.url}: [^\\n]*certificate[^\\n]*\\n$`),
    );
  });

  it('an ingest that does not trust the server answers 503, never 202, and is not ready', async () => {
    const system = await startSystem({
      redisUrl: redis.url,
      redisTls: { caFile },
      workers: 0,
      // The system's own connection trusts the CA; this ingest is told nothing about it.
      ingestEnv: { REDIS_TLS_CA_FILE: '' },
    });
    systems.push(system);
    const response = await system.post(putCommit({ bucket: uniqueName('tls-redis'), key: 'k' }));
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ error: { code: 'QUEUE_UNAVAILABLE' } });
    expect(response.headers.get('retry-after')).toBe('1');
    await waitFor(async () => (await fetch(`${system.ingestUrl}/readyz`)).status === 503, {
      timeoutMs: 10_000,
      description: 'the ingest reporting itself not ready',
    });
  });
});

describe('Redis asking for a client certificate (mutual TLS)', () => {
  let redis: PrivateRedis;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    redis = await startPrivateRedis({ tls: true, tlsClientAuth: true });
  });

  afterAll(async () => {
    await system?.stop();
    await redis?.cleanup();
  });

  it('delivers with REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE, and refuses a client without them', async () => {
    const { caFile, client } = redis.certificates!;
    system = await startSystem({
      redisUrl: redis.url,
      redisTls: { caFile, certFile: client.certFile, keyFile: client.keyFile },
      env: { LANES: '2' },
    });
    expect(await postAndRead(system, 'payment-8', 'cleared')).toEqual([['payment-8', 'cleared']]);

    const env = { REDIS_URL: redis.url, QUEUE_PREFIX: system.prefix, LANES: '2' };
    const withCertificate = cli(
      {
        ...env,
        REDIS_TLS_CA_FILE: caFile,
        REDIS_TLS_CERT_FILE: client.certFile,
        REDIS_TLS_KEY_FILE: client.keyFile,
      },
      'status',
    );
    expect(withCertificate.stderr).toBe('');
    expect(withCertificate.status).toBe(0);

    const without = cli({ ...env, REDIS_TLS_CA_FILE: caFile }, 'status');
    expect(without.status).toBe(1);
    // Redis refuses a client without a certificate in the handshake: a reset, or by timing the
    // TLS alert or the socket's end before the handshake finished; never a refused connect.
    expect(without.stderr).toMatch(
      new RegExp(
        `^commitlog: cannot reach Redis at ${redis.url}: [^\\n]*(ECONNRESET|certificate|disconnected)[^\\n]*\\n$`,
      ),
    );
  });
});
