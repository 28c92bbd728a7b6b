import { createRecordProducer, partitionCountsOnce } from '@commitlog/kafka';
import {
  createRedisConnection,
  readLaneCount,
  recordStall,
  startLaneWorkers,
  type LaneWorkersOptions,
  UnsafeRedisError,
  restoreLaneLimits,
  readRedisClockOffsetMs,
  recordPartitionCount,
} from '@commitlog/queue';
import {
  clockOffsetGauge,
  closeEach,
  createMetricsRegistry,
  ERROR_LOG_INTERVAL_MS,
  errorKind,
  notReadyOnceStopping,
  redisErrorLogger,
  startOpsServer,
  throttledWarn,
  type Logger,
  type Readiness,
  type WorkerConfig,
  workerSettingWarnings,
} from '@commitlog/runtime';
import { hostname } from 'node:os';
import { createDeliveryHandler } from './deliver-commit.ts';
import { fleetSweepRemoval, sweepExpiredFailures } from './expired-failures-sweep.ts';
import { watchLaneCount } from './lane-count-watch.ts';
import { watchLaneLimits } from './lane-limit-watch.ts';
import { checkRedisAndClaimLanes } from './redis-start-check.ts';
import { whileWaiting } from './while-waiting.ts';
import { kafkaConnection } from './kafka-connection.ts';
import { limitConcurrency } from './limit-concurrency.ts';
import { noticingTopics, watchPartitionCounts } from './partition-count-watch.ts';
import { createRecordGatherer } from './record-gatherer.ts';
import { workerReadiness } from './worker-readiness.ts';
import { createWorkerMetrics } from './worker-metrics.ts';

export interface RunningWorker {
  /** The port of the ops server (/healthz, /readyz, /metrics). */
  opsPort: number;
  /** Graceful stop: take no more jobs, finish the ones in hand, flush Kafka, disconnect. */
  close(): Promise<void>;
}

/**
 * Most bytes of job data (JSON, values in base64) that one job's followers may carry: a lane's
 * share of a produce request stays well under a broker's default message.max.bytes (1 MiB)
 * per partition batch in most cases; a request that is refused anyway is retried without them.
 */
const FOLLOWER_BYTES = 1024 * 1024;

/**
 * Starts a delivery worker for every lane. Everything it opens is closed by `close()`. `stopped`,
 * aborted while it starts, ends its wait for Redis: the start-up then fails, having closed what
 * it opened. `options.laneLimitCheckMs`, `partitionCheckMs`: how often the lanes'
 * one-job-at-a-time limit, and the partition counts of the topics delivered to, are checked
 * (30 s and 60 s by default; shorter in tests).
 */
export async function startWorker(
  config: WorkerConfig,
  logger: Logger,
  stopped?: AbortSignal,
  options: { laneLimitCheckMs?: number; partitionCheckMs?: number } = {},
): Promise<RunningWorker> {
  const routes = config.routes;
  const lanes = Array.from({ length: config.lanes }, (_, lane) => lane);
  for (const { setting, message } of workerSettingWarnings(config)) {
    logger.warn({ setting }, message);
  }

  // One line per kind of error a minute: while Redis is away every lane worker repeats each error.
  const warn = throttledWarn(logger, ERROR_LOG_INTERVAL_MS);
  const connection = createRedisConnection({
    url: config.redisUrl,
    role: 'worker',
    connectionName: 'commitlog-worker',
    tlsCa: config.redisTlsCa,
    tlsClient: config.redisTlsClient,
    onError: redisErrorLogger(logger, 'redis connection error'),
  });
  // QUIT to a Redis that is not up waits in the client's queue for as long as Redis stays away:
  // a stop while the start-up waits for it drops the connection instead.
  const closers: (() => Promise<unknown>)[] = [
    () =>
      connection.status === 'ready' ? connection.quit() : Promise.resolve(connection.disconnect()),
  ];
  /** Closes everything, the last opened first, each part even after another failed. */
  const closeOpened = (): Promise<number> =>
    closeEach(closers.splice(0).reverse(), (err) => logger.error({ err }, 'error while closing'));
  let stopping = false;
  // A part that failed to close (the producer's last flush, say) fails the shutdown step, so that
  // the process exits non-zero instead of reporting a clean stop. Its jobs are not lost: they were
  // not completed, and go back to their lanes after WORKER_LOCK.
  const closeAll = async (): Promise<void> => {
    stopping = true;
    const failed = await closeOpened();
    if (failed > 0)
      throw new Error(`${failed} of the worker's parts failed to close (logged above)`);
  };

  // The ops server comes first: a worker waiting for Redis (or Kafka) at start-up is alive and
  // says what it waits for, rather than refusing connections until a liveness probe kills it
  // (and restarts pile up into a back-off of minutes that outlasts the outage).
  const registry = createMetricsRegistry('worker');
  // Its clock reads TTLs and waiting ages; Redis's holds its locks (README, "Clocks").
  clockOffsetGauge(registry, () => readRedisClockOffsetMs(connection));
  // Declared before any wait: a worker waiting for Redis or Kafka shows its counters at 0 and
  // its lanes as never read (stale), not as a worker that is absent.
  const readRecordedLanes = (): Promise<number | undefined> =>
    readLaneCount(connection, config.queuePrefix);
  const metrics = createWorkerMetrics({
    registry,
    connection,
    prefix: config.queuePrefix,
    lanes,
    failedRetentionMs: config.failedRetentionMs,
    readLaneCount: readRecordedLanes,
  });
  let readiness: (() => Promise<Readiness>) | undefined;
  const waiting = { for: 'Redis' };
  try {
    const ops = await startOpsServer({
      host: config.host,
      port: config.port,
      settings: 'WORKER_HOST, WORKER_PORT',
      registry,
      logger,
      // Draining the lanes can take SHUTDOWN_TIMEOUT: not ready from the moment the stop begins.
      readiness: notReadyOnceStopping(
        () =>
          readiness?.() ??
          Promise.resolve({
            ready: false,
            checks: { startup: { ok: false, detail: `starting: waiting for ${waiting.for}` } },
          }),
        () => stopping,
      ),
    });
    closers.push(() => ops.close());

    const safety = await whileWaiting(
      logger,
      waiting,
      'Redis',
      // Only a stop during start-up can come while this runs; once aborted, the loop ends at
      // its next failed try instead of retrying behind the abandoned start-up.
      () => checkRedisAndClaimLanes(connection, config, logger, () => stopped?.aborted === true),
      stopped,
    );
    if (!safety.safe) throw new UnsafeRedisError(safety);
    for (const warning of safety.warnings) logger.warn({ redis: safety.redisVersion }, warning);

    const producer = await whileWaiting(
      logger,
      waiting,
      'Kafka',
      () => createRecordProducer(config.kafkaClient, kafkaConnection(config, logger)),
      stopped,
      (abandoned) => abandoned.close(),
    );
    const partitionWatch = watchPartitionCounts({
      read: (topics) => partitionCountsOnce(kafkaConnection(config, logger), topics),
      record: (topic, count) => recordPartitionCount(connection, config.queuePrefix, topic, count),
      onChange: (topic) => metrics.partitionCountChanged(topic),
      logger,
      ...(options.partitionCheckMs === undefined ? {} : { intervalMs: options.partitionCheckMs }),
    });
    closers.push(() => Promise.resolve(partitionWatch.stop()));
    const gatherer = createRecordGatherer({
      producer: noticingTopics(producer, (topic) => partitionWatch.saw(topic)),
      maxRecords: config.batchMaxRecords,
    });
    closers.push(async () => {
      await gatherer.drain();
      await producer.close();
    });

    const handle = createDeliveryHandler({
      gatherer,
      routes,
      policy: {
        baseDelayMs: config.retryBaseMs,
        maxDelayMs: config.retryMaxMs,
        ttlMs: config.commitTtlMs,
      },
      events: metrics,
      logger,
    });

    const workerName = `${hostname()}:${process.pid}`;
    const laneOptions: LaneWorkersOptions = {
      connection,
      prefix: config.queuePrefix,
      lanes,
      workerName,
      lockDurationMs: config.lockDurationMs,
      handle: limitConcurrency(config.concurrency, handle),
      // A lane's commits never split over two produce requests, so PRODUCE_BATCH_MAX caps them too.
      followers: {
        maxJobs: Math.min(config.laneBatchMax, config.batchMaxRecords) - 1,
        maxBytes: FOLLOWER_BYTES,
      },
      dedupWindowMs: config.dedupWindowMs,
      onStalled: ({ lane, jobId, worker }) => {
        metrics.stalled(lane);
        logger.warn(
          { lane, jobId, heldBy: worker },
          'job stalled (its worker died or hung); moved back to its lane',
        );
        // Kept as a record for `commitlog status` and the dashboard; a failure only costs the record.
        recordStall(connection, config.queuePrefix, { lane, jobId, at: Date.now(), worker }).catch(
          (err: unknown) => logger.warn({ err, lane, jobId }, 'could not record a stall'),
        );
      },
      onError: ({ lane, error }) => {
        metrics.laneError(error);
        warn(`lane:${errorKind(error)}`, { lane, err: error }, 'lane worker error');
      },
      stopped: () => stopped?.aborted === true,
    };
    const laneWorkers = await whileWaiting(
      logger,
      waiting,
      'Redis',
      () => startLaneWorkers(laneOptions),
      stopped,
      (abandoned) => abandoned.close(),
    );
    // Lane workers stop first (they may still be handing records to the producer).
    closers.push(() => laneWorkers.close());
    readiness = workerReadiness(connection, producer, {
      laneCount: { lanes: config.lanes, read: readRecordedLanes },
    });
    const laneCountWatch = watchLaneCount({
      lanes: config.lanes,
      read: readRecordedLanes,
      logger,
    });
    closers.push(() => Promise.resolve(laneCountWatch.stop()));
    const laneLimitWatch = watchLaneLimits({
      restore: () => restoreLaneLimits(connection, config.queuePrefix, lanes),
      logger,
      ...(options.laneLimitCheckMs === undefined ? {} : { intervalMs: options.laneLimitCheckMs }),
    });
    closers.push(() => Promise.resolve(laneLimitWatch.stop()));
    const failuresSweep = sweepExpiredFailures({
      // One worker of the fleet a turn: each read the same due jobs whole to remove them.
      remove: fleetSweepRemoval({
        connection,
        prefix: config.queuePrefix,
        workerName,
        lanes: config.lanes,
        retentionMs: config.failedRetentionMs,
        readRecordedLanes,
      }),
      logger,
      retentionMs: config.failedRetentionMs,
    });
    closers.push(() => Promise.resolve(failuresSweep.stop()));

    logger.info(
      {
        lanes: config.lanes,
        concurrency: config.concurrency,
        worker: workerName,
        opsPort: ops.port,
      },
      'worker started',
    );
    return { opsPort: ops.port, close: closeAll };
  } catch (error) {
    // The start-up error is the one to report; a failure to close after it is only logged.
    await closeOpened();
    throw error;
  }
}
