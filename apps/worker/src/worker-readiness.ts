import type { RecordProducer } from '@commitlog/kafka';
import { checkRedisSafety, type RedisConnection, type RedisSafety } from '@commitlog/queue';
import type { Readiness } from '@commitlog/runtime';
import { boundedRedisRead } from './bounded-redis-read.ts';
import { laneCountMismatch, unreadLanes } from './lane-count-watch.ts';

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
 * (or none). Kafka's connection is shown but not required: while Kafka is away, deliveries wait
 * in their lanes and are retried. Redis is read with `boundedRedisRead`: a probe never waits on
 * Redis for long.
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

  const laneCount = options.laneCount;
  const readLaneCount =
    laneCount &&
    boundedRedisRead(
      connection,
      laneCount.read,
      options.timeoutMs ?? PROBE_TIMEOUT_MS,
      'the read of the lane count',
    );

  return async () => {
    let reading: RedisSafety | undefined;
    let failure: string | undefined;
    const [safety, recorded] = await Promise.allSettled([readSafety(), readLaneCount?.()]);
    if (safety.status === 'fulfilled') reading = safety.value;
    else failure = safety.reason instanceof Error ? safety.reason.message : String(safety.reason);
    const redisOk = reading !== undefined;
    const safe = reading?.safe === true;
    const kafkaOk = producer.isConnected();
    const lanes = laneCount && laneCountCheck(laneCount.lanes, recorded);
    return {
      ready: redisOk && safe && (lanes?.ok ?? true),
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
          ...(kafkaOk ? {} : { detail: 'not connected; deliveries are retried' }),
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
