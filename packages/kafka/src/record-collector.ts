import { randomUUID } from 'node:crypto';
import { createKafkaClient, type KafkaConnection } from './kafka-connection.ts';

/** One record as read back from Kafka, bytes untouched. */
export interface CollectedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Record<string, Uint8Array>;
  /** The record's timestamp, epoch ms: when the producer created it (Kafka's CreateTime). */
  timestamp: number;
}

/** Reads topics from their beginning into memory, for assertions, checks and the fault oracle. */
export interface RecordCollector {
  /** Every record read so far, in arrival order (which is offset order within a partition). */
  readonly records: readonly CollectedRecord[];
  stop(): Promise<void>;
}

function headerBytes(value: unknown): Uint8Array | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Array.isArray(value) && value.length > 0) return headerBytes(value[0]);
  return undefined;
}

/** Starts a consumer in its own throwaway group that collects every record of `topics`. */
export async function collectRecords(
  connection: KafkaConnection,
  topics: string[],
): Promise<RecordCollector> {
  const kafka = createKafkaClient(connection);
  const consumer = kafka.consumer({
    groupId: `commitlog-collector-${randomUUID()}`,
    allowAutoTopicCreation: false,
    // How long a fetch waits for new records. `stop` waits for the fetch in flight, so kafkajs's
    // default (5 s) made every stop of a caught-up collector take 5 s.
    maxWaitTimeInMs: 250,
  });
  const records: CollectedRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    // eslint-disable-next-line @typescript-eslint/require-await -- kafkajs wants a promise
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, Uint8Array> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) {
        const bytes = headerBytes(value);
        if (bytes) headers[name] = bytes;
      }
      records.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key,
        value: message.value,
        headers,
        timestamp: Number(message.timestamp),
      });
    },
  });
  return {
    records,
    stop: () => consumer.disconnect(),
  };
}
