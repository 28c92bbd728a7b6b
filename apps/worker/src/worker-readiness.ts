import type { RecordProducer } from '@commitlog/kafka';
import { checkRedisSafety, type RedisConnection } from '@commitlog/queue';
import type { Readiness } from '@commitlog/runtime';

/**
 * The worker is ready when Redis answers and may not evict commits. Kafka's connection is shown
 * but not required: while Kafka is away, deliveries wait in their lanes and are retried.
 */
export function workerReadiness(
  connection: RedisConnection,
  producer: Pick<RecordProducer, 'isConnected'>,
): () => Promise<Readiness> {
  return async () => {
    const reading = await checkRedisSafety(connection).catch(() => undefined);
    const redisOk = reading !== undefined;
    const safe = reading?.safe === true;
    const kafkaOk = producer.isConnected();
    return {
      ready: redisOk && safe,
      checks: {
        redis: { ok: redisOk, ...(redisOk ? {} : { detail: 'Redis does not answer' }) },
        redisSafety: {
          ok: safe,
          ...(reading && !reading.safe ? { detail: reading.problems.join('; ') } : {}),
        },
        kafka: {
          ok: kafkaOk,
          ...(kafkaOk ? {} : { detail: 'not connected; deliveries are retried' }),
        },
      },
    };
  };
}
