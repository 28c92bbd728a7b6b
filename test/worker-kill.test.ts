// A worker killed with SIGKILL in the middle of deliveries: another worker takes over its jobs
// once their locks expire; every accepted commit reaches Kafka and none fails.
import { defaultTopic } from '@commitlog/core';
import { createRedisConnection, readLaneBacklogs } from '@commitlog/queue';
import { uniqueName } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header, readUntil, withAdmin } from './support/kafka-check.ts';
import { postLoad } from './support/load.ts';
import { startSystem, type RunningSystem } from './support/system.ts';

describe('a worker killed mid-delivery', () => {
  let system: RunningSystem;
  const bucket = uniqueName('kill');
  const topic = defaultTopic('default', bucket);

  beforeAll(async () => {
    system = await startSystem({ workers: 2, env: { LANES: '8' } });
    await withAdmin(system.kafkaBrokers, (a) => a.createTopic(topic, { partitions: 2 }));
  });

  afterAll(async () => {
    await system?.stop();
    await withAdmin(system.kafkaBrokers, (a) => a.deleteTopics([topic]));
  });

  it('loses nothing and fails nothing', async () => {
    const victim = system.workers[0]!;
    const load = postLoad(system, { bucket, total: 600, perSecond: 100 });
    await new Promise((r) => setTimeout(r, 2_000));
    victim.signal('SIGKILL');
    expect(await victim.exited).toBeNull();
    const { accepted } = await load;
    expect(accepted).toHaveLength(600);

    const want = new Set(accepted);
    const records = await readUntil(
      system.kafkaBrokers,
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
      const lanes = await readLaneBacklogs(redis, system.prefix, [0, 1, 2, 3, 4, 5, 6, 7]);
      expect(lanes.reduce((n, l) => n + l.failed, 0)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
