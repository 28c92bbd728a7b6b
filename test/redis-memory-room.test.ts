// Redis near its maxmemory while Kafka is down: the ingest stops storing commits at its share of
// maxmemory (503), so that the workers still have room to take jobs from their lanes. At
// maxmemory Redis refuses the BullMQ script that takes a job (its first write moves it): the
// commits then waited, undelivered, even once Kafka was back, until someone raised maxmemory.
import { defaultTopic } from '@commitlog/core';
import { createRedisConnection, parseMemoryInfo, type RedisConnection } from '@commitlog/queue';
import {
  NOTHING_LISTENS_PORT,
  putCommit,
  startPrivateRedis,
  startSystem,
  testKafkaBrokers,
  uniqueName,
  type PrivateRedis,
  type RunningSystem,
  waitFor,
} from '@commitlog/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { retriesBy } from './support/delivery-oracle.ts';
import { header, readUntil, withAdmin } from './support/kafka-check.ts';

/**
 * maxmemory for the test: 5 % of it (what the ingest leaves to the workers) is 1.2 MB, more than
 * a fresh worker adds (its connections, BullMQ's scripts it loads). A filler key takes all but
 * ROOM_BYTES of the ingest's share, so that a few commits fill it.
 */
const MAXMEMORY = 24_000_000;
const ROOM_BYTES = 150_000;
const VALUE = 'x'.repeat(8 * 1024);

/** As Redis and the ingest count it against maxmemory (its AOF buffer, swollen by a slow disk, left out). */
async function memory(redis: RedisConnection): Promise<{ used: number; max: number }> {
  const { usedBytes, maxBytes } = parseMemoryInfo(await redis.info('memory'));
  return { used: usedBytes, max: maxBytes };
}

describe('Redis near its maxmemory', () => {
  let redis: PrivateRedis | undefined;
  let system: RunningSystem | undefined;
  let admin: RedisConnection | undefined;

  afterAll(async () => {
    admin?.disconnect();
    await system?.stop();
    await redis?.cleanup();
  });

  it('refuses commits before Redis is full, so that every accepted one is delivered once Kafka is back', async () => {
    redis = await startPrivateRedis({ appendfsync: 'everysec' });
    admin = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
    // Kafka down: nothing is delivered, every commit stays in Redis.
    system = await startSystem({
      redisUrl: redis.url,
      kafkaBrokers: [`127.0.0.1:${NOTHING_LISTENS_PORT}`],
      env: { LANES: '2', RETRY_MAX: '2s' },
    });
    const bucket = uniqueName('full');
    const topic = defaultTopic('default', bucket);
    await withAdmin(testKafkaBrokers(), (a) => a.createTopic(topic, { partitions: 1 }));
    const accepted: string[] = [];
    // A first commit, which the worker tries and holds (BullMQ's scripts loaded, a lane held).
    const first = await system.post(putCommit({ bucket, key: 'first', value: VALUE }));
    expect(first.status).toBe(202);
    accepted.push((first.body as { id: string }).id);
    const worker = system.workers[0]!;
    await waitFor(async () => (await retriesBy(worker)) > 0, {
      timeoutMs: 30_000,
      description: 'the worker trying the first commit',
    });
    // Filled in small keys, measured as it goes: Redis's allocator rounds a large value up.
    for (let n = 0; (await memory(admin)).used < MAXMEMORY * 0.95 - ROOM_BYTES; n++) {
      await admin.set(`filler:${n}`, 'f'.repeat(64 * 1024));
    }
    await admin.config('SET', 'maxmemory', String(MAXMEMORY));

    let refusal: { status: number; body: unknown } | undefined;
    for (let n = 0; n < 60 && !refusal; n++) {
      const response = await system.post(putCommit({ bucket, key: `k${n}`, value: VALUE }));
      if (response.status === 202) accepted.push((response.body as { id: string }).id);
      else refusal = response;
      // Slower than the ingest's memory readings (every 500 ms), so that it reads Redis after
      // each commit: a burst between two readings may pass its share (the README says by how much).
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    const seen = JSON.stringify({ accepted: accepted.length, memory: await memory(admin) });
    expect(accepted.length, seen).toBeGreaterThan(1);
    expect(refusal?.status, seen).toBe(503);
    expect(JSON.stringify(refusal?.body), JSON.stringify(refusal?.body)).toMatch(
      /of its maxmemory/,
    );
    const full = await memory(admin);
    expect(full.used).toBeLessThan(full.max);

    // Kafka back: a worker that reaches it delivers every accepted commit.
    for (const worker of system.workers.splice(0)) await worker.stop();
    await system.startWorker({ KAFKA_BROKERS: testKafkaBrokers().join(',') });
    const records = await readUntil(
      testKafkaBrokers(),
      [topic],
      (rs) => rs.length >= accepted.length,
    );
    expect(new Set(records.map((r) => header(r, 'commitlog-id')))).toEqual(new Set(accepted));
    expect((await memory(admin)).used).toBeLessThan(MAXMEMORY);
  });
});
