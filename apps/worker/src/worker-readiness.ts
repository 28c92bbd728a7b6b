import type { RecordProducer } from '@commitlog/kafka';
import { checkRedisSafety, type RedisConnection, type RedisSafety } from '@commitlog/queue';
import { withTimeout, type Readiness } from '@commitlog/runtime';
import { boundedRedisRead } from './bounded-redis-read.ts';
import { laneCountMismatch, unreadLanes } from './lane-count-watch.ts';

const KAFKA_LOST = 'not connected; deliveries are retried';
const KAFKA_NEVER_REACHED =
  'not connected since the worker started (check KAFKA_BROKERS, the login and the certificates: the log names the error); commits wait in their lanes';

/** How long `/readyz` waits for Redis before calling it not ready, ms. */
const PROBE_TIMEOUT_MS = 2000;

export interface WorkerReadinessOptions {
  /** How long a probe waits for Redis, ms. Default 2000. */
  timeoutMs?: number;
  /** Reads Redis' settings. Default `checkRedisSafety` on the connection. */
  checkSafety?: (connection: RedisConnection) => Promise<RedisSafety>;
  /**
   * This worker's LANES and how to read the count recorded in Redis: when they differ (another
   * process changed it), the worker is not ready. Without it, the count is not checked.
   */
  laneCount?: { lanes: number; read: () => Promise<number | undefined> };
}

/**
 * The worker is ready when Redis answers, may not evict commits, and records this worker's LANES
 * (or none), and once a probe has seen it connected to Kafka. Kafka is required that once only:
 * a worker that never reached a broker (a wrong KAFKA_BROKERS, a refused login, an untrusted
 * certificate in a new release) must stop a rolling update before it replaces workers that
 * deliver; one that loses Kafka later stays ready (deliveries wait in their lanes and are
 * retried; every worker going unready at once would say no more than the Kafka alerts do).
 * Redis is read with `boundedRedisRead`: a probe never waits on Redis for long.
 */
export function workerReadiness(
  connection: RedisConnection,
  producer: Pick<RecordProducer, 'isConnected' | 'reach'>,
  options: WorkerReadinessOptions = {},
): () => Promise<Readiness> {
  const checkSafety = options.checkSafety ?? checkRedisSafety;
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const readSafety = boundedRedisRead(
    connection,
    () => checkSafety(connection),
    timeoutMs,
    "the read of Redis' settings",
  );

  const laneCount = options.laneCount;
  const readLaneCount =
    laneCount &&
    boundedRedisRead(connection, laneCount.read, timeoutMs, 'the read of the lane count');

  let kafkaSeen = false;
  let reaching: Promise<boolean> | undefined;
  /** Whether Kafka is connected; until first seen so, a probe asks the producer to connect. */
  async function kafkaConnected(): Promise<boolean> {
    if (producer.isConnected() || kafkaSeen) return producer.isConnected();
    // Shared by the probes that come while it lasts: a broker out of reach is not asked twice.
    reaching ??= producer.reach().finally(() => (reaching = undefined));
    return withTimeout(reaching, timeoutMs, 'the connection to Kafka').catch(() => false);
  }

  return async () => {
    let reading: RedisSafety | undefined;
    let failure: string | undefined;
    const [safety, recorded, kafka] = await Promise.allSettled([
      readSafety(),
      readLaneCount?.(),
      kafkaConnected(),
    ]);
    if (safety.status === 'fulfilled') reading = safety.value;
    else failure = safety.reason instanceof Error ? safety.reason.message : String(safety.reason);
    const redisOk = reading !== undefined;
    const safe = reading?.safe === true;
    const kafkaOk = kafka.status === 'fulfilled' && kafka.value;
    kafkaSeen ||= kafkaOk;
    const lanes = laneCount && laneCountCheck(laneCount.lanes, recorded);
    return {
      ready: redisOk && safe && (lanes?.ok ?? true) && kafkaSeen,
      checks: {
        ...(lanes ? { laneCount: lanes } : {}),
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
          ...(kafkaOk ? {} : { detail: kafkaSeen ? KAFKA_LOST : KAFKA_NEVER_REACHED }),
        },
      },
    };
  };
}

function laneCountCheck(
  lanes: number,
  reading: PromiseSettledResult<number | undefined>,
): { ok: boolean; detail?: string } {
  // Redis not answering is the `redis` check's to report; the count is unknown, not wrong.
  if (reading.status === 'rejected') return { ok: true, detail: 'not read: Redis did not answer' };
  if (!laneCountMismatch(lanes, reading.value)) return { ok: true };
  const recorded = reading.value ?? lanes;
  const range = unreadLanes(lanes, recorded);
  const unread = range === undefined ? '' : `: commits in lanes ${range} wait for no worker`;
  return {
    ok: false,
    detail: `LANES=${lanes} but the queues in this Redis are now made with LANES=${recorded}${unread}; restart this worker with LANES=${recorded}`,
  };
}
