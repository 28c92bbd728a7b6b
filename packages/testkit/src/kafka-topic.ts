import {
  collectRecords,
  createKafkaAdmin,
  type KafkaConnection,
  type RecordCollector,
} from '@commitlog/kafka';
import { testKafkaBrokers } from './test-env.ts';
import { uniqueName } from './unique-name.ts';

/** A Kafka topic that belongs to one test. */
export interface TestTopic {
  name: string;
  connection: KafkaConnection;
  /** Starts collecting every record of the topic from its beginning; stopped by `cleanup`. */
  collect(): Promise<RecordCollector>;
  /** Stops the collectors and deletes the topic. */
  cleanup(): Promise<void>;
}

export async function createTestTopic(
  options: { prefix?: string; partitions?: number } = {},
): Promise<TestTopic> {
  const connection: KafkaConnection = { brokers: testKafkaBrokers(), clientId: 'commitlog-test' };
  const name = uniqueName(options.prefix ?? 'test');
  const admin = await createKafkaAdmin(connection);
  const collectors: RecordCollector[] = [];
  try {
    await admin.createTopic(name, { partitions: options.partitions ?? 1 });
  } catch (error) {
    await admin.close();
    throw error;
  }
  return {
    name,
    connection,
    async collect() {
      const collector = await collectRecords(connection, [name]);
      collectors.push(collector);
      return collector;
    },
    async cleanup() {
      await Promise.all(collectors.map((c) => c.stop()));
      try {
        await admin.deleteTopics([name]);
      } finally {
        await admin.close();
      }
    },
  };
}
