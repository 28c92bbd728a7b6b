import { randomUUID } from 'node:crypto';
import { createKafkaClient, type KafkaConnection } from './kafka-connection.ts';

/** One record reduced to what a delivery oracle needs: which commit, and when Kafka stored it. */
export interface RecordStamp {
  topic: string;
  /** The value of the chosen header (the commit id), undefined when the record has none. */
  id: string | undefined;
  /** The record's timestamp, epoch ms: the broker's append time on a `LogAppendTime` topic. */
  timestampMs: number;
  /** The values of the `alsoHeaders` asked for that the record carries. */
  also?: Record<string, string>;
}

/**
 * Reads topics for the benchmark's oracle without keeping record values in memory (a run holds
 * hundreds of thousands of records). `count` is cheap (end offsets only); `read` consumes every
 * record up to the end offsets seen when it starts, then stops.
 */
export interface TopicStampReader {
  /** Records stored in the topics now (end minus start offsets, over every partition). */
  count(topics: readonly string[]): Promise<number>;
  read(
    topics: readonly string[],
    header: string,
    timeoutMs: number,
    options?: { alsoHeaders?: readonly string[] },
  ): Promise<RecordStamp[]>;
  close(): Promise<void>;
}

export async function createTopicStampReader(
  connection: KafkaConnection,
): Promise<TopicStampReader> {
  const kafka = createKafkaClient(connection);
  const admin = kafka.admin();
  await admin.connect();

  /** The offset to read up to (exclusive), per `topic:partition`, for partitions with records. */
  async function ends(topics: readonly string[]): Promise<Map<string, bigint>> {
    const result = new Map<string, bigint>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) result.set(`${topic}:${p.partition}`, BigInt(p.high));
      }
    }
    return result;
  }

  return {
    async count(topics) {
      let total = 0;
      for (const topic of topics) {
        for (const p of await admin.fetchTopicOffsets(topic))
          total += Number(p.high) - Number(p.low);
      }
      return total;
    },
    async read(topics, header, timeoutMs, options = {}) {
      const alsoHeaders = options.alsoHeaders ?? [];
      const remaining = await ends(topics);
      const stamps: RecordStamp[] = [];
      if (remaining.size === 0) return stamps;
      const consumer = kafka.consumer({
        groupId: `commitlog-stamps-${randomUUID()}`,
        allowAutoTopicCreation: false,
        maxBytes: 64 * 1024 * 1024,
      });
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const timer = setTimeout(finish, timeoutMs);
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [...topics], fromBeginning: true });
        await consumer.run({
          // eslint-disable-next-line @typescript-eslint/require-await -- kafkajs wants a promise
          eachBatch: async ({ batch }) => {
            const place = `${batch.topic}:${batch.partition}`;
            for (const message of batch.messages) {
              const text = (name: string): string | undefined => {
                const value = message.headers?.[name];
                return (Array.isArray(value) ? value[0] : value)?.toString();
              };
              const stamp: RecordStamp = {
                topic: batch.topic,
                id: text(header),
                timestampMs: Number(message.timestamp),
              };
              if (alsoHeaders.length > 0) {
                stamp.also = {};
                for (const name of alsoHeaders) {
                  const value = text(name);
                  if (value !== undefined) stamp.also[name] = value;
                }
              }
              stamps.push(stamp);
              const end = remaining.get(place);
              if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(place);
            }
            if (remaining.size === 0) finish();
          },
        });
        await finished;
      } finally {
        clearTimeout(timer);
        await consumer.disconnect();
      }
      return stamps;
    },
    close: () => admin.disconnect(),
  };
}
