/**
 * What every scenario of a run shares: the private Redis and Kafka, a Kafka admin and stamp reader,
 * the signing secret, unique commit numbers, and progress output.
 */
import {
  createKafkaAdmin,
  createTopicStampReader,
  type KafkaAdmin,
  type TopicStampReader,
} from '@commitlog/kafka';
import { createRedisConnection, type RedisConnection } from '@commitlog/queue';
import { watchRedisStalls } from './redis-stalls.ts';

export interface BenchContext {
  runTag: string;
  secret: string;
  redis: { url: string; pid: () => number | undefined; connection: RedisConnection };
  kafka: {
    brokers: string[];
    pid: () => number | undefined;
    admin: KafkaAdmin;
    stamps: TopicStampReader;
  };
  /** `count` unique commit numbers, so that no two commits of a run are the same commit. */
  takeNumbers(count: number): number;
  progress(line: string): void;
  /** Seconds since the run started (for the time budget). */
  elapsedS(): number;
}

export async function createBenchContext(options: {
  runTag: string;
  secret: string;
  redisUrl: string;
  redisPid: () => number | undefined;
  brokers: string[];
  kafkaPid: () => number | undefined;
  progress: (line: string) => void;
}): Promise<BenchContext & { close(): Promise<void> }> {
  const started = performance.now();
  const connection = createRedisConnection({
    url: options.redisUrl,
    role: 'worker',
    onError: () => undefined,
  });
  await watchRedisStalls(connection);
  const kafkaConnection = { brokers: options.brokers, clientId: 'commitlog-bench' };
  const admin = await createKafkaAdmin(kafkaConnection);
  const stamps = await createTopicStampReader(kafkaConnection);
  let next = 0;
  return {
    runTag: options.runTag,
    secret: options.secret,
    redis: { url: options.redisUrl, pid: options.redisPid, connection },
    kafka: { brokers: options.brokers, pid: options.kafkaPid, admin, stamps },
    takeNumbers(count) {
      const first = next;
      next += count;
      return first;
    },
    progress: options.progress,
    elapsedS: () => (performance.now() - started) / 1000,
    async close() {
      await stamps.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
      connection.disconnect();
    },
  };
}

/** Redis `used_memory`, bytes. */
export async function redisUsedMemory(connection: RedisConnection): Promise<number> {
  const info = await connection.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}
