// A Kafka of three brokers (KRaft, started by the test kit from infra/kafka/cluster.sh), topics
// with replication factor 3 and min.insync.replicas 2: a broker stopped in the middle of the
// load (the partitions it led move to the others while sends are under way), the producer's
// acks=all still has two in-sync replicas, and every commit arrives in per-key order.
import { defaultTopic } from '@commitlog/core';
import {
  startPrivateKafkaCluster,
  startSystem,
  uniqueName,
  waitFor,
  type PrivateKafkaCluster,
  type RunningSystem,
} from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAdmin } from '../support/kafka-check.ts';
import { deliveryProblems, startKeyedLoad } from '../support/keyed-load.ts';

describe('delivery to a 3-broker Kafka with one broker stopped', () => {
  let kafka: PrivateKafkaCluster;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    kafka = await startPrivateKafkaCluster(3);
  });

  afterAll(async () => {
    await system?.stop();
    await kafka?.cleanup();
  });

  it('delivers every commit, in order, across a broker stopped mid-load', async () => {
    const bucket = `replicated-${uniqueName('r')}`;
    const topic = defaultTopic('default', bucket);
    // A cluster that has just formed may not know every broker's partitions yet: kafkajs then
    // gives up on the topic's metadata; the topic is there or comes on the next try.
    await waitFor(
      () =>
        withAdmin(kafka.brokers, (admin) => admin.createTopic(topic, { partitions: 4 })).then(
          () => true,
          (error: unknown) => /already exists/i.test(String(error)),
        ),
      { timeoutMs: 60_000, description: `topic ${topic} on the 3-broker cluster` },
    );
    const config = await withAdmin(kafka.brokers, (admin) => admin.describeBrokerConfig(1));
    // Topics get replication factor 3 and min.insync.replicas 2 from the brokers' defaults.
    expect(config['default.replication.factor']).toBe('3');
    expect(config['min.insync.replicas']).toBe('2');

    // The broker stopped below leads some of the topic's partitions: their leadership moves.
    // Kafka's metadata answer has no retry in kafkajs, and a broker that has not yet learned of
    // the new topic answers "does not host this topic-partition": asked again until every
    // partition has a leader.
    const leaders = await waitFor(
      () =>
        withAdmin(kafka.brokers, (admin) => admin.partitionLeaders(topic)).then((found) =>
          found.length === 4 && found.every((leader) => leader >= 0) ? found : undefined,
        ),
      { timeoutMs: 60_000, description: `a leader for each partition of ${topic}` },
    );
    expect(leaders).toHaveLength(4);
    expect(leaders).toContain(3);

    system = await startSystem({ kafkaBrokers: kafka.brokers, workers: 1 });
    const load = startKeyedLoad(system, { bucket, keys: 20, clients: 4 });
    try {
      await load.untilAccepted(100);
      // Stopped while commits are being delivered: the partitions it led move mid-send. The
      // load goes on until 300 more are accepted, so commits are sent across the stop, whenever
      // it ends.
      await kafka.stopNode(3);
      await load.untilAccepted(load.accepted() + 300);
    } finally {
      load.stop();
      await load.done;
    }
    // The client sends a request again whole when the stopped broker's part of it fails or its
    // answer never comes: the records the others stored land again, in order (README,
    // "Duplicates without a crash").
    const { problems } = await deliveryProblems(kafka.brokers.slice(0, 2), topic, load.answered);
    expect(problems, problems.slice(0, 3).join('; ')).toEqual([]);
  });
});
