import type { RecordProducer } from '@commitlog/kafka';
import { checkRedisSafety, type RedisConnection, type RedisSafety } from '@commitlog/queue';
import { withTimeout, type Readiness } from '@commitlog/runtime';

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
 *
 * The worker's connection queues commands while Redis is away and retries them forever, so a
 * probe must not simply wait for its reply: it asks nothing while the connection is not up, waits
 * at most `timeoutMs` for an answer, and a probe that comes while an earlier check still waits
 * for Redis shares that check instead of queueing another one.
 */
export function workerReadiness(
  connection: RedisConnection,
  producer: Pick<RecordProducer, 'isConnected'>,
  options: WorkerReadinessOptions = {},
): () => Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const checkSafety = options.checkSafety ?? checkRedisSafety;
  let pending: Promise<RedisSafety> | undefined;

  async function readSafety(): Promise<RedisSafety> {
    if (connection.status !== 'ready') {
      throw new Error(`connection is ${connection.status}`);
    }
    pending ??= checkSafety(connection).finally(() => {
      pending = undefined;
    });
    return withTimeout(pending, timeoutMs, "the read of Redis' settings");
  }

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
