import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { isRetryProgress, type CommitJobData, type RetryProgress } from './commit-job.ts';
import { markJobHolder, readStalledHolder } from './job-holder.ts';
import { METRIC_MINUTES_KEPT } from './delivery-rates.ts';
import { laneQueueName } from './lane-queue-name.ts';
import { withLaneQueue } from './with-lane-queue.ts';
import type { RedisConnection } from './redis-connection.ts';

/** One commit job as a lane hands it to the delivery code. */
export interface LaneJob {
  id: string;
  lane: number;
  data: CommitJobData;
  /** What the previous failed attempt recorded, if this delivery is being retried. */
  retry: RetryProgress | undefined;
  /** How many times a worker died (or stalled) while holding this job. */
  stalledCount: number;
}

/** What the delivery code decided about a job. */
export type LaneOutcome =
  | { kind: 'delivered' }
  /** Hold the lane: put the job back at its head and take nothing from the lane for `delayMs`. */
  | { kind: 'retry'; delayMs: number; progress: RetryProgress }
  /** No retry can fix it (or it expired): the job fails for good with `reason`. */
  | { kind: 'fail'; reason: string; message: string };

export interface LaneWorkersOptions {
  /** A `worker` connection (retries forever); shared by the lane workers, owned by the caller. */
  connection: RedisConnection;
  prefix: string;
  /** The lanes to consume. */
  lanes: readonly number[];
  /** Name stored on every job this process takes (shows up on the dashboard). */
  workerName: string;
  /** BullMQ lock duration in ms: a job held by a dead worker is moved back after about this long. */
  lockDurationMs: number;
  handle: (job: LaneJob) => Promise<LaneOutcome>;
  /**
   * A job whose worker died was moved back to its lane. `worker` is the name of the worker that
   * held it (see `stalledHolder`), undefined when it cannot be told.
   */
  onStalled?: (event: { lane: number; jobId: string; worker: string | undefined }) => void;
  onError?: (event: { lane: number; error: Error }) => void;
}

export interface LaneWorkers {
  /** Stops taking jobs, waits for the jobs in hand to finish, closes the workers. */
  close(): Promise<void>;
}

/** A stalled job goes back to its lane however often its worker dies: it is never failed for it. */
const NEVER_FAIL_FOR_STALLING = 1_000_000;

/**
 * A limiter that never limits. BullMQ 6.7's moveToActive script honours a manual rate limit
 * (`worker.rateLimit`) only when a limiter `max` is set; without one, only the worker that called
 * it waits and any other worker takes the held job at once. With this, the hold applies to every
 * worker of the lane, which is what "a retry holds its lane for the backoff" needs.
 */
const HOLD_ACROSS_WORKERS = { max: 1_000_000_000, duration: 1000 };

/**
 * One BullMQ worker per lane. `setGlobalConcurrency(1)` makes each lane deliver one job at a time
 * across every worker process, which is what keeps per-key order. A retry holds the lane with
 * BullMQ's manual rate limit: the job goes back to the consuming end of its lane and the lane
 * waits out the backoff, in every worker process, without using one of BullMQ's attempts.
 */
export async function startLaneWorkers(options: LaneWorkersOptions): Promise<LaneWorkers> {
  for (const lane of options.lanes) {
    await withLaneQueue(options.connection, options.prefix, lane, (queue) =>
      queue.setGlobalConcurrency(1),
    );
  }

  const workers = options.lanes.map((lane) => {
    const jobKey = (id: string): string => `${options.prefix}:${laneQueueName(lane)}:${id}`;
    const worker: Worker<CommitJobData> = new Worker<CommitJobData>(
      laneQueueName(lane),
      async (job: Job<CommitJobData>) => {
        // Not awaited: it only names this worker if the job stalls, and must not slow delivery.
        // The connection runs it before this job's completion, which is sent later.
        markJobHolder(options.connection, jobKey(job.id ?? job.data.id), options.workerName).catch(
          () => undefined,
        );
        const outcome = await options.handle({
          id: job.id ?? job.data.id,
          lane,
          data: job.data,
          retry: isRetryProgress(job.progress) ? job.progress : undefined,
          stalledCount: job.stalledCounter,
        });
        if (outcome.kind === 'delivered') return;
        if (outcome.kind === 'fail') {
          throw new UnrecoverableError(`${outcome.reason}: ${outcome.message}`);
        }
        await job.updateProgress(outcome.progress);
        await worker.rateLimit(Math.max(1, Math.round(outcome.delayMs)));
        throw Worker.RateLimitError();
      },
      {
        connection: options.connection,
        prefix: options.prefix,
        name: options.workerName,
        concurrency: 1,
        lockDuration: options.lockDurationMs,
        stalledInterval: Math.max(1000, Math.round(options.lockDurationMs / 2)),
        maxStalledCount: NEVER_FAIL_FOR_STALLING,
        limiter: HOLD_ACROSS_WORKERS,
        // Delivered and failed per minute for the dashboard, a day of them (BullMQ's metrics).
        metrics: { maxDataPoints: METRIC_MINUTES_KEPT },
        autorun: true,
      },
    );
    worker.on('stalled', (jobId) => {
      readStalledHolder(options.connection, jobKey(jobId), Date.now(), options.lockDurationMs)
        .catch(() => undefined)
        .then((holder) => options.onStalled?.({ lane, jobId, worker: holder }))
        .catch(() => undefined);
    });
    worker.on('error', (error) => options.onError?.({ lane, error }));
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
