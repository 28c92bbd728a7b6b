import type { KafkaRecord } from '@commitlog/core';
import type { RecordProducer } from '@commitlog/kafka';
import { ERROR_LOG_INTERVAL_MS, throttledWarn, type Logger } from '@commitlog/runtime';

/** How often a running worker checks the partition counts of the topics it delivered to, ms. */
export const PARTITION_COUNT_CHECK_MS = 60_000;
/** Most topics read in one turn: the rest wait for the next (a topic per bucket can be many). */
export const TOPICS_PER_CHECK = 100;

export interface PartitionCountWatch {
  /** Notes a topic this worker delivered to, to be checked at the next turn. */
  saw(topic: string): void;
  /** Runs one turn now (the timer's turns call it); resolves when it is done. */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Checks every `intervalMs` the partition count of each topic delivered to since the last turn,
 * against the count the fleet recorded in Redis, and logs an error when it changed. Kafka puts a
 * key in partition murmur2(key) mod the count, so partitions added to a topic move most keys: a
 * key's next versions land in another partition, which consumers may read before the old one's,
 * and a compacted topic keeps an old version in the old partition for good. Nothing here can undo
 * that; the error and `onChange` (a metric, alerted on) tell the operator at once, not when a
 * consumer finds an old balance. A turn that fails (Kafka or Redis away) is said in a warning, at
 * most once per ERROR_LOG_INTERVAL_MS, and its topics are read again at the next turn.
 */
export function watchPartitionCounts(options: {
  /** The partition count of each topic that exists. */
  read: (topics: readonly string[]) => Promise<Map<string, number>>;
  /** Records a topic's count and answers the one recorded before (`recordPartitionCount`). */
  record: (topic: string, count: number) => Promise<number | undefined>;
  onChange: (topic: string) => void;
  logger: Pick<Logger, 'error' | 'warn'>;
  intervalMs?: number;
}): PartitionCountWatch {
  const warn = throttledWarn(options.logger, ERROR_LOG_INTERVAL_MS);
  const due = new Set<string>();
  let running: Promise<void> | undefined;
  const turn = async (): Promise<void> => {
    const topics = [...due].slice(0, TOPICS_PER_CHECK);
    if (topics.length === 0) return;
    try {
      const counts = await options.read(topics);
      for (const topic of topics) {
        const count = counts.get(topic);
        if (count !== undefined) {
          const before = await options.record(topic, count);
          if (before !== undefined && before !== count) changed(topic, before, count);
        }
        due.delete(topic);
      }
    } catch (err) {
      warn('check', { err }, 'cannot check the partition counts of Kafka topics; trying again');
    }
  };
  const changed = (topic: string, before: number, count: number): void => {
    options.onChange(topic);
    options.logger.error(
      { code: 'TOPIC_PARTITIONS_CHANGED', topic, partitionsBefore: before, partitions: count },
      'a Kafka topic the worker delivers to has a new partition count: most keys now go to another partition than their earlier versions, and consumers may read a key out of order (a compacted topic keeps an old version in the old partition); see "Guarantees and their limits" in the README',
    );
  };
  const check = (): Promise<void> => {
    running ??= turn().finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => void check(), options.intervalMs ?? PARTITION_COUNT_CHECK_MS);
  timer.unref();
  return {
    saw: (topic) => void due.add(topic),
    check,
    stop: () => clearInterval(timer),
  };
}

/** `producer`, telling `saw` the topic of every record of a send Kafka acknowledged. */
export function noticingTopics(
  producer: RecordProducer,
  saw: (topic: string) => void,
): RecordProducer {
  return {
    async send(records: readonly KafkaRecord[], sendOptions) {
      await producer.send(records, sendOptions);
      for (const record of records) saw(record.topic);
    },
    isConnected: () => producer.isConnected(),
    reach: () => producer.reach(),
    close: () => producer.close(),
  };
}
