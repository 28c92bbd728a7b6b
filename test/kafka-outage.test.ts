// Kafka stopped in the middle of a load and started again 30 s later: the ingest keeps accepting
// (commits wait in Redis), and afterwards every accepted commit is on Kafka and none failed.
import { defaultTopic } from '@commitlog/core';
import { readLaneBacklogs, createRedisConnection } from '@commitlog/queue';
import { startPrivateKafka, uniqueName, type PrivateKafka } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header, readUntil, withAdmin } from './support/kafka-check.ts';
import { postLoad } from './support/load.ts';
import { startSystem, type RunningSystem } from './support/system.ts';

describe('Kafka outage under load', () => {
  let kafka: PrivateKafka;
  let system: RunningSystem;
  const bucket = uniqueName('outage');
  const topic = defaultTopic('default', bucket);

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    await withAdmin(kafka.brokers, (a) => a.createTopic(topic, { partitions: 2 }));
    system = await startSystem({ kafkaBrokers: kafka.brokers, env: { LANES: '4' } });
  });

  afterAll(async () => {
    await system?.stop();
    await kafka?.cleanup();
  });

  it('delivers every accepted commit after Kafka comes back, none failed', async () => {
    const load = postLoad(system, { bucket, total: 900, perSecond: 20 });
    await new Promise((r) => setTimeout(r, 5_000));
    await kafka.stop();
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 30_000));
    await kafka.start();
    const outage = Date.now() - stoppedAt;
    const { accepted, refused } = await load;

    expect(accepted).toHaveLength(900);
    expect(refused).toEqual([]); // Kafka down never stops the ingest from accepting.
    const want = new Set(accepted);
    const records = await readUntil(
      kafka.brokers,
      [topic],
      (rs) => new Set(rs.map((r) => header(r, 'commitlog-id'))).size >= want.size,
      120_000,
    );
    const got = new Set(records.map((r) => header(r, 'commitlog-id')));
    expect([...want].filter((id) => !got.has(id))).toEqual([]);

    const redis = createRedisConnection({
      url: system.redisUrl,
      role: 'worker',
      onError: () => {},
    });
    try {
      const lanes = await readLaneBacklogs(redis, system.prefix, [0, 1, 2, 3]);
      expect(lanes.map((l) => l.failed)).toEqual([0, 0, 0, 0]);
    } finally {
      redis.disconnect();
    }
    expect(outage).toBeGreaterThanOrEqual(30_000);
  });
});
