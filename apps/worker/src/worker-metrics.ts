import { PERMANENT_FAILURE_REASONS } from '@commitlog/core';
import {
  inLaneBatches,
  redisErrorCode,
  lanesToCover,
  readLaneBacklogs,
  type LaneBacklog,
  type RedisConnection,
} from '@commitlog/queue';
import { Counter, Gauge, Histogram, type Registry } from '@commitlog/runtime';
import { boundedRedisRead } from './bounded-redis-read.ts';
import { laneCountMismatch } from './lane-count-watch.ts';
import { POISON_REASON, type DeliveryEvents } from './deliver-commit.ts';

export interface WorkerMetrics extends DeliveryEvents {
  stalled(lane: number): void;
  /** A lane worker's error (it is logged too, once a minute per kind). */
  laneError(error: Error): void;
  /** A topic this worker delivers to was found with a new partition count (it is logged too). */
  partitionCountChanged(topic: string): void;
}

/**
 * The codes `commitlog_lane_errors_total` exports at 0 from the start (see `redisErrorCode`), so
 * that the first error of each is an increase: commitlog's own, Redis's refusals (a full Redis,
 * an ACL, a replica after a failover, a Redis loading its data, a primary gone), the sockets'.
 * Others appear at their first error.
 */
export const KNOWN_LANE_ERROR_CODES = [
  'DELIVERY_NOT_RECORDED',
  'LOCK_LOST',
  'OOM',
  'NOPERM',
  'READONLY',
  'LOADING',
  'MASTERDOWN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'OTHER',
] as const;

/**
 * The most topics `commitlog_delivery_errors_by_topic_total` names; errors of any further topic
 * count under `topic="other"`. The default topic is one per Riak bucket, and buckets may be many.
 */
export const MAX_TOPICS_NAMED = 100;

/** How long a scrape waits for the lanes' backlog from Redis, ms. */
const BACKLOG_READ_TIMEOUT_MS = 2000;

/**
 * The worker's metrics. Backlog and oldest waiting age are read from Redis when Prometheus
 * scrapes, so they are true for the whole lane, whichever worker holds it.
 *
 * Redis is read with `boundedRedisRead`, so a scrape never waits on Redis for long: without a
 * reading in time it answers with everything else, the lane gauges keeping their last values.
 * A reading that comes after the scrape stopped waiting is kept, and shown at the next scrape:
 * one of many lanes that always took longer than the wait was thrown away at every scrape, and
 * the gauges never moved. One reading at a time: a scrape while one runs waits for that one.
 * `commitlog_lane_backlog_read_timestamp_seconds` says when they were read, so that an alert can
 * tell a flat backlog from a stale one (Redis away). Every worker reads every lane: aggregate the
 * lane gauges across workers with max(), not sum().
 */
export function createWorkerMetrics(options: {
  registry: Registry;
  connection: RedisConnection;
  prefix: string;
  lanes: readonly number[];
  /**
   * FAILED_RETENTION, ms: exported as `commitlog_failed_retention_seconds`, so that the alert on
   * failures about to be removed follows the setting. Not exported without it.
   */
  failedRetentionMs?: number;
  /** How long a scrape waits for the backlog reading, ms. Default 2000. */
  backlogTimeoutMs?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Reads the lanes' backlog. Default `readLaneBacklogs`. */
  readBacklogs?: (
    connection: RedisConnection,
    prefix: string,
    lanes: readonly number[],
  ) => Promise<LaneBacklog[]>;
  /**
   * Reads the lane count recorded in Redis. With it, the lane gauges cover every recorded lane as
   * well as this worker's (so that commits in lanes it does not read still show, and alert), and
   * `commitlog_lane_count_mismatch` says whether the two counts differ.
   */
  readLaneCount?: () => Promise<number | undefined>;
}): WorkerMetrics {
  const registers = [options.registry];
  const delivered = new Counter({
    name: 'commitlog_delivered_total',
    help: 'Commits acknowledged by Kafka.',
    registers,
  });
  const failed = new Counter({
    name: 'commitlog_failed_total',
    help: 'Commits that failed for good, by reason.',
    labelNames: ['reason'],
    registers,
  });
  // From 0 for every known reason, so that `increase()` sees a worker's first failure (a series
  // born at 1 shows none). Unclassified reasons still appear at their first failure.
  for (const reason of [...PERMANENT_FAILURE_REASONS, POISON_REASON]) failed.inc({ reason }, 0);
  const retries = new Counter({
    name: 'commitlog_retries_total',
    help: 'Failed delivery attempts that hold their lane and will be retried, by reason.',
    labelNames: ['reason'],
    registers,
  });
  // Which topic fails (an ACL, a topic missing, a route): the two counters above stay without a
  // topic, as their series must exist at 0 before a first failure for the alerts to see it, and
  // a topic is known only then.
  const topicErrors = new Counter({
    name: 'commitlog_delivery_errors_by_topic_total',
    help: `Failed delivery attempts (retried or failed for good) by Kafka topic and reason; a series appears at its first error, so alert on commitlog_retries_total and commitlog_failed_total, and read this one for the topic. Past ${MAX_TOPICS_NAMED} topics, under topic="other".`,
    labelNames: ['topic', 'reason'],
    registers,
  });
  const topicsNamed = new Set<string>();
  function countTopicError(topic: string | undefined, reason: string): void {
    if (topic === undefined) return;
    if (!topicsNamed.has(topic) && topicsNamed.size < MAX_TOPICS_NAMED) topicsNamed.add(topic);
    topicErrors.inc({ topic: topicsNamed.has(topic) ? topic : 'other', reason });
  }
  const stalled = new Counter({
    name: 'commitlog_stalled_total',
    help: 'Jobs whose worker died or stalled while holding them; moved back to their lane.',
    registers,
  });
  const laneErrors = new Counter({
    name: 'commitlog_lane_errors_total',
    help: "Errors of the lane workers, by code: Redis refusing a step of a delivery, a delivery not recorded (its followers go again), a lock lost. A Redis connection's error counts once for each lane worker that reports it. Each kind is logged too, once a minute.",
    labelNames: ['code'],
    registers,
  });
  for (const code of KNOWN_LANE_ERROR_CODES) laneErrors.inc({ code }, 0);
  // No topic label: a series that appears at its first change shows no increase to an alert.
  const partitionChanges = new Counter({
    name: 'commitlog_topic_partition_changes_total',
    help: "Kafka topics this worker delivers to found with a partition count other than the one the workers recorded in Redis (keys moved partitions: consumers may read a key out of order). The topic is in the worker's error log line.",
    registers,
  });
  const latency = new Histogram({
    name: 'commitlog_commit_to_kafka_seconds',
    help: 'Time from the ingest accepting a commit (or an operator re-driving it) to Kafka acknowledging its record.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers,
  });
  const readBacklogs = options.readBacklogs ?? readLaneBacklogs;
  const configured = options.lanes.length;
  /** Sets the lane gauges to a reading, when it comes, in time for its scrape or not. */
  function show(recorded: number | undefined, backlogs: readonly LaneBacklog[]): void {
    readAt.set((options.now ?? Date.now)() / 1000);
    mismatch.set(laneCountMismatch(configured, recorded) ? 1 : 0);
    for (const l of backlogs) {
      backlog.set({ lane: String(l.lane) }, l.waiting);
      oldest.set({ lane: String(l.lane) }, (l.oldestWaitingAgeMs ?? 0) / 1000);
      paused.set({ lane: String(l.lane) }, l.paused ? 1 : 0);
      failedKept.set({ lane: String(l.lane) }, l.failed);
      oldestFailed.set({ lane: String(l.lane) }, (l.oldestFailedAgeMs ?? 0) / 1000);
    }
  }
  const readLanes = boundedRedisRead(
    options.connection,
    async () => {
      const recorded = await options.readLaneCount?.();
      const cover = lanesToCover(recorded, configured);
      const lanes =
        cover > configured ? Array.from({ length: cover }, (_, lane) => lane) : options.lanes;
      // A batch of lanes at a time: all 4,096 at once were some 25,000 commands in flight at
      // each scrape of each worker, on the Redis the lanes are delivered from.
      const backlogs = (
        await inLaneBatches(lanes, (batch) =>
          readBacklogs(options.connection, options.prefix, batch),
        )
      ).flat();
      // Here, not by the scrape that asked: that one may have stopped waiting.
      show(recorded, backlogs);
    },
    options.backlogTimeoutMs ?? BACKLOG_READ_TIMEOUT_MS,
    'the lane backlog read',
  );
  /** The refresh of one scrape, shared by the gauges so that each shows the same reading. */
  let refreshing: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    // Redis did not answer in time (or failed): the last values stay rather than hold the scrape.
    await readLanes().catch(() => undefined);
  }
  const collect = (): Promise<void> =>
    (refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    }));

  const backlog = new Gauge({
    name: 'commitlog_lane_backlog_commits',
    help: 'Commits waiting in each lane.',
    labelNames: ['lane'],
    registers,
    collect,
  });
  const oldest = new Gauge({
    name: 'commitlog_lane_oldest_waiting_seconds',
    help: 'Age of the oldest waiting commit in each lane, or of a retrying commit holding it (0 when none).',
    labelNames: ['lane'],
    registers,
    collect,
  });
  const readAt = new Gauge({
    name: 'commitlog_lane_backlog_read_timestamp_seconds',
    help: 'When the lane gauges were last read from Redis (Unix seconds); they keep their values while Redis does not answer.',
    registers,
    collect,
  });
  // A lane paused on the dashboard delivers nothing and raises no error: alert on this.
  const paused = new Gauge({
    name: 'commitlog_lane_paused',
    help: 'Whether each lane is paused (1): it takes commits but delivers none until resumed.',
    labelNames: ['lane'],
    registers,
    collect,
  });

  const mismatch = new Gauge({
    name: 'commitlog_lane_count_mismatch',
    help: "1 when the lane count recorded in Redis differs from this worker's LANES (another process changed it): restart the worker with the recorded count.",
    registers,
    collect,
  });

  // Failed for good and not re-driven yet: each is a commit that is not on Kafka. Read from Redis,
  // unlike commitlog_failed_total, so it counts every worker's failures (also those of a worker
  // since restarted) and falls when an operator re-drives them.
  const failedKept = new Gauge({
    name: 'commitlog_lane_failed_commits',
    help: 'Commits in each lane that failed for good and wait for a re-drive (kept for FAILED_RETENTION).',
    labelNames: ['lane'],
    registers,
    collect,
  });

  // FAILED_RETENTION removes a failed commit for good: alert while an operator can still re-drive.
  const oldestFailed = new Gauge({
    name: 'commitlog_lane_oldest_failed_seconds',
    help: "How long ago each lane's oldest failed commit failed (0 when none): FAILED_RETENTION removes it once this passes the retention.",
    labelNames: ['lane'],
    registers,
    collect,
  });

  if (options.failedRetentionMs !== undefined) {
    new Gauge({
      name: 'commitlog_failed_retention_seconds',
      help: 'FAILED_RETENTION: how long a failed commit is kept for re-drive, then removed.',
      registers,
    }).set(options.failedRetentionMs / 1000);
  }

  return {
    delivered(_lane, ms) {
      delivered.inc();
      // Not a time for a job whose time in its lane does not parse; observe() would throw.
      if (Number.isFinite(ms)) latency.observe(ms / 1000);
    },
    retried(_lane, reason, topic) {
      retries.inc({ reason });
      countTopicError(topic, reason);
    },
    failed(_lane, reason, topic) {
      failed.inc({ reason });
      countTopicError(topic, reason);
    },
    stalled() {
      stalled.inc();
    },
    laneError(error) {
      laneErrors.inc({ code: redisErrorCode(error) });
    },
    partitionCountChanged() {
      partitionChanges.inc();
    },
  };
}
