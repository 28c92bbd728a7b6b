// Kafka stopped in the middle of a load and started again 30 s later: the ingest keeps accepting
// (commits wait in Redis), and afterwards every accepted commit is on Kafka and none failed.
import { defaultTopic } from '@commitlog/core';
import {
  startPrivateKafka,
  uniqueName,
  type PrivateKafka,
  startSystem,
  type RunningSystem,
  waitFor,
} from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveredBy, lostCommits, unfinishedJobs } from './support/delivery-oracle.ts';
import { withAdmin } from './support/kafka-check.ts';
import { postLoad } from './support/load.ts';

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
    // Stopped once the worker has delivered: a loaded machine may take seconds to get there.
    await waitFor(async () => (await deliveredBy(system.workers[0]!)) > 0, {
      timeoutMs: 30_000,
      description: 'the worker delivering before Kafka stops',
    });
    await kafka.stop();
    // The outage happened: once a request in flight has settled, nothing is delivered, and the
    // commits accepted meanwhile wait in their lanes.
    await new Promise((r) => setTimeout(r, 3_000));
    const deliveredAtStop = await deliveredBy(system.workers[0]!);
    expect(deliveredAtStop).toBeGreaterThan(0); // its metrics still answer
    await new Promise((r) => setTimeout(r, 27_000));
    expect(await deliveredBy(system.workers[0]!)).toBe(deliveredAtStop);
    const waiting = await unfinishedJobs(system, 4);
    expect(waiting.waiting + waiting.active).toBeGreaterThan(100);
    await kafka.start();
    const { accepted, refused } = await load;

    expect(accepted).toHaveLength(900);
    expect(refused).toEqual([]); // Kafka down never stops the ingest from accepting.
    expect(await lostCommits(kafka.brokers, topic, accepted)).toEqual([]);
    expect((await unfinishedJobs(system, 4)).failed).toBe(0);
  });
});
