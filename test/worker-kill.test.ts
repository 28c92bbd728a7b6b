// A worker killed with SIGKILL in the middle of deliveries: another worker takes over its jobs
// once their locks expire; every accepted commit reaches Kafka and none fails.
import { defaultTopic } from '@commitlog/core';
import { uniqueName, startSystem, type RunningSystem } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAdmin } from './support/kafka-check.ts';
import { lostCommits, unfinishedJobs } from './support/delivery-oracle.ts';
import { postLoad } from './support/load.ts';

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
    await new Promise((r) => setTimeout(r, 2_000));
    victim.signal('SIGKILL');
    expect(await victim.exited).toBeNull();
    const { accepted } = await load;
    expect(accepted).toHaveLength(600);

    expect(await lostCommits(system.kafkaBrokers, topic, accepted)).toEqual([]);
    const unfinished = await unfinishedJobs(system, 8);
    expect(unfinished.failed).toBe(0);
  });
});
