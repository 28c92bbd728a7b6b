// A worker killed with SIGKILL while it delivers (it has delivered some of the load, and more is
// coming): whatever it held comes back after its lock and the other worker delivers it; every
// accepted commit reaches Kafka and none fails. Whether it held a job at the very instant of the
// kill is not controlled here; the fault matrix's row 2 kills workers again and again.
import { defaultTopic } from '@commitlog/core';
import { uniqueName, startSystem, waitFor, type RunningSystem } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAdmin } from './support/kafka-check.ts';
import { deliveredBy, lostCommits, unfinishedJobs } from './support/delivery-oracle.ts';
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
    await waitFor(async () => (await deliveredBy(victim)) > 0, {
      description: 'the victim delivering',
    });
    victim.signal('SIGKILL');
    expect(await victim.exited).toBeNull();
    const { accepted } = await load;
    expect(accepted).toHaveLength(600);

    expect(await lostCommits(system.kafkaBrokers, topic, accepted)).toEqual([]);
    const unfinished = await unfinishedJobs(system, 8);
    expect(unfinished.failed).toBe(0);
  });
});
