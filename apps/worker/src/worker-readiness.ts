import type { RecordProducer } from '@commitlog/kafka';
import { checkRedisSafety, type RedisConnection, type RedisSafety } from '@commitlog/queue';
import type { Readiness } from '@commitlog/runtime';
import { boundedRedisRead } from './bounded-redis-read.ts';

/** How long `/readyz` waits for Redis before calling it not ready, ms. */
const PROBE_TIMEOUT_MS = 2000;

export interface WorkerReadinessOptions {
  /** How long a probe waits for Redis, ms. Default 2000. */
  timeoutMs?: number;
  /** Reads Redis' settings. Default `checkRedisSafety` on the connection. */
  checkSafety?: (connection: RedisConnection) => Promise<RedisSafety>;
}

/**
 * The worker is ready when Redis answers and may not evict commits. Kafka's connection is shown
 * but not required: while Kafka is away, deliveries wait in their lanes and are retried.
 * Redis is read with `boundedRedisRead`: a probe never waits on Redis for long.
 */
export function workerReadiness(
  connection: RedisConnection,
  producer: Pick<RecordProducer, 'isConnected'>,
  options: WorkerReadinessOptions = {},
): () => Promise<Readiness> {
  const checkSafety = options.checkSafety ?? checkRedisSafety;
  const readSafety = boundedRedisRead(
    connection,
    () => checkSafety(connection),
    options.timeoutMs ?? PROBE_TIMEOUT_MS,
    "the read of Redis' settings",
  );

  return async () => {
    let reading: RedisSafety | undefined;
    let failure: string | undefined;
    try {
      reading = await readSafety();
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    const redisOk = reading !== undefined;
    const safe = reading?.safe === true;
    const kafkaOk = producer.isConnected();
    return {
      ready: redisOk && safe,
      checks: {
        redis: {
          ok: redisOk,
          ...(redisOk ? {} : { detail: `Redis does not answer: ${failure ?? 'no reply'}` }),
        },
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
