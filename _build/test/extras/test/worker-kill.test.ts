// A worker killed with SIGKILL while it delivers: stopped at a moment it holds a job, then
// killed, so that the death is one with a job in hand. The job stalls, comes back after its lock
// and the other worker delivers it; every accepted commit reaches Kafka and none fails.
import { defaultTopic } from '@commitlog/core';
import { createRedisConnection, stallRecords } from '@commitlog/queue';
import { uniqueName, startSystem, waitFor, type RunningSystem } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAdmin } from './support/kafka-check.ts';
import { deliveredBy, lostCommits, unfinishedJobs } from './support/delivery-oracle.ts';
import { postLoad } from './support/load.ts';
import { stopHoldingAJob, workerName } from './support/worker-hold.ts';

describe('a worker killed mid-delivery', () => {
  let system: RunningSystem;
  const bucket = uniqueName('kill');
  const topic = defaultTopic('default', bucket);

  beforeAll(async () => {
    system = await startSystem({ workers: 2, env: { LANES: '8' } });
    await withAdmin(system.kafkaBrokers, (a) => a.createTopic(topic, { partitions: 2 }));
  });

  afterAll(async () => {
    if (!system) return;
    await system.stop();
    await withAdmin(system.kafkaBrokers, (a) => a.deleteTopics([topic]));
  });

  it('loses nothing and fails nothing', async () => {
    const victim = system.workers[0]!;
    const load = postLoad(system, { bucket, total: 600, perSecond: 100 });
    await waitFor(async () => (await deliveredBy(victim)) > 0, {
      description: 'the victim delivering',
    });
    const redis = createRedisConnection({
      url: system.redisUrl,
      role: 'worker',
      onError: () => undefined,
    });
    try {
      expect(await stopHoldingAJob(redis, system.prefix, 8, victim, 10_000)).toBe(true);
      victim.signal('SIGKILL');
      expect(await victim.exited).toBeNull();
      const { accepted } = await load;
      expect(accepted).toHaveLength(600);

      expect(await lostCommits(system.kafkaBrokers, topic, accepted)).toEqual([]);
      const unfinished = await unfinishedJobs(system, 8);
      expect(unfinished.failed).toBe(0);
      // What it held stalled, and is on record under its name.
      const stalls = await stallRecords(redis, system.prefix, 100);
      expect(stalls.map((s) => s.worker)).toContain(workerName(victim.pid));
    } finally {
      redis.disconnect();
    }
  });
});
