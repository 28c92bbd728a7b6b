import { testKafkaBrokers, uniqueName } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaAdmin, partitionCountsOnce, type KafkaAdmin } from './kafka-admin.ts';

describe('the local broker, through the admin API', () => {
  let admin: KafkaAdmin;

  beforeAll(async () => {
    admin = await createKafkaAdmin({ brokers: testKafkaBrokers(), clientId: 'commitlog-test' });
  });

  afterAll(async () => {
    await admin.close();
  });

  it('is Apache Kafka 3.9: the broker reports its protocol version as 3.9', async () => {
    const { brokers, controller } = await admin.describeCluster();
    expect(brokers.length).toBeGreaterThanOrEqual(1);
    const nodeId = controller ?? brokers[0]!.nodeId;
    const config = await admin.describeBrokerConfig(nodeId);
    // A Kafka-compatible imitation answers Metadata and Produce but does not carry the broker's
    // own configuration model; this key and its value come from Apache Kafka's MetadataVersion.
    expect(config['inter.broker.protocol.version']).toMatch(/^3\.9-IV\d+$/);
    expect(config['process.roles']).toBe('broker,controller');
  });

  it('creates, lists and deletes a topic', async () => {
    const topic = uniqueName('admin');
    await admin.createTopic(topic, { partitions: 2 });
    expect(await admin.listTopics()).toContain(topic);
    await admin.deleteTopics([topic]);
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it('counts the partitions of the topics that exist, after more were added, and leaves out one that does not', async () => {
    const topic = uniqueName('partitions');
    const missing = uniqueName('never-created');
    await admin.createTopic(topic, { partitions: 2 });
    try {
      const connection = { brokers: testKafkaBrokers(), clientId: 'commitlog-test' };
      expect(await partitionCountsOnce(connection, [topic, missing])).toEqual(
        new Map([[topic, 2]]),
      );
      await admin.addPartitions(topic, 5);
      expect(await partitionCountsOnce(connection, [topic])).toEqual(new Map([[topic, 5]]));
      // Asked about, not created (the admin client never creates topics).
      expect(await admin.listTopics()).not.toContain(missing);
    } finally {
      await admin.deleteTopics([topic]);
    }
  });
});
