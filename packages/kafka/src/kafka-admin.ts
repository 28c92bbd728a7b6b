import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS and Node cannot see this export by name from an ES module.
const { ConfigResourceTypes } = kafkajs;
import { createKafkaClient, type KafkaConnection } from './kafka-connection.ts';

/** Topic and cluster operations the tooling and the tests need. */
export interface KafkaAdmin {
  /** Creates a topic and waits until its partitions have leaders. No-op if it exists. */
  createTopic(
    topic: string,
    options?: { partitions?: number; replicationFactor?: number; configs?: Record<string, string> },
  ): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
  /** Changes some configuration entries of a topic (e.g. `min.insync.replicas`). */
  alterTopicConfig(topic: string, configs: Record<string, string>): Promise<void>;
  listTopics(): Promise<string[]>;
  /** The brokers of the cluster and the controller's id. */
  describeCluster(): Promise<{
    brokers: { nodeId: number; host: string; port: number }[];
    controller: number | null;
  }>;
  /** The leader broker of each partition of `topic`, by partition. */
  partitionLeaders(topic: string): Promise<number[]>;
  /** Raises `topic`'s partition count to `count` (Kafka never lowers it). */
  addPartitions(topic: string, count: number): Promise<void>;
  /** The broker's current configuration as it reports it (values of sensitive keys are hidden by Kafka). */
  describeBrokerConfig(nodeId: number): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function createKafkaAdmin(connection: KafkaConnection): Promise<KafkaAdmin> {
  const admin: Admin = createKafkaClient(connection).admin();
  await admin.connect();
  return {
    async createTopic(topic, options = {}) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: options.partitions ?? 1,
            replicationFactor: options.replicationFactor ?? -1,
            configEntries: Object.entries(options.configs ?? {}).map(([name, value]) => ({
              name,
              value,
            })),
          },
        ],
      });
    },
    async deleteTopics(topics) {
      if (topics.length > 0) await admin.deleteTopics({ topics });
    },
    async alterTopicConfig(topic, configs) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
          },
        ],
      });
    },
    listTopics: () => admin.listTopics(),
    async describeCluster() {
      const cluster = await admin.describeCluster();
      return { brokers: cluster.brokers, controller: cluster.controller };
    },
    async partitionLeaders(topic) {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = topics[0]?.partitions ?? [];
      return [...partitions].sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
    },
    async addPartitions(topic, count) {
      await admin.createPartitions({ topicPartitions: [{ topic, count }] });
    },
    async describeBrokerConfig(nodeId) {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: String(nodeId) }],
      });
      const entries = described.resources[0]?.configEntries ?? [];
      return Object.fromEntries(entries.map((entry) => [entry.configName, entry.configValue]));
    },
    close: () => admin.disconnect(),
  };
}

/**
 * The topics that exist, on a client of its own, closed after. For a question asked now and then
 * (a produce refused for a missing topic), where keeping an admin client open would not pay.
 */
export async function listTopicsOnce(connection: KafkaConnection): Promise<string[]> {
  const admin = await createKafkaAdmin(connection);
  try {
    return await admin.listTopics();
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * The partition count of each of `topics` that exists, on a client of its own, closed after (asked
 * once a minute, where keeping an admin client open would not pay). A topic Kafka does not know
 * (deleted since) is left out; any other error rejects.
 */
export async function partitionCountsOnce(
  connection: KafkaConnection,
  topics: Iterable<string>,
): Promise<Map<string, number>> {
  const admin = await createKafkaAdmin(connection);
  try {
    const counts = new Map<string, number>();
    for (const topic of topics) {
      try {
        counts.set(topic, (await admin.partitionLeaders(topic)).length);
      } catch (error) {
        if ((error as { type?: unknown }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
      }
    }
    return counts;
  } finally {
    await admin.close().catch(() => undefined);
  }
}
