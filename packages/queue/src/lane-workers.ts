import { setTimeout as sleep } from 'node:timers/promises';
import { deadlineClock } from '@commitlog/core';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { LaneBullmqWorker } from './lane-bullmq-worker.ts';
import { isRetryProgress, type CommitJobData } from './commit-job.ts';
import { markHolder, readStalledHolder, writeProgressUnderLock } from './job-holder.ts';
import { recordDelivered } from './delivered-marks.ts';
import {
  readFollowers,
  readLaneHead,
  type DeliveryStart,
  type LaneFollower,
  type LaneKeys,
} from './lane-followers.ts';
import { createLanePrefetches } from './lane-prefetch.ts';
import { METRIC_MINUTES_KEPT } from './delivery-rates.ts';
import { laneQueueName } from './lane-queue-name.ts';
import { DeliveryNotRecordedError, LockLostError } from './queue-errors.ts';
import type { LaneOutcome } from './lane-job.ts';
import type { LaneWorkers, LaneWorkersOptions } from './lane-workers-options.ts';
import { holdEachLaneToOne } from './lane-concurrency.ts';

/** A stalled job goes back to its lane however often its worker dies: it is never failed for it. */
const NEVER_FAIL_FOR_STALLING = 1_000_000;

/**
 * A limiter that never limits. BullMQ 6.7's moveToActive script honours a manual rate limit
 * (`worker.rateLimit`) only when a limiter `max` is set; without one, only the worker that called
 * it waits and any other worker takes the held job at once. With this, the hold applies to every
 * worker of the lane, which is what "a retry holds its lane for the backoff" needs.
 */
const HOLD_ACROSS_WORKERS = { max: 1_000_000_000, duration: 1000 };

/** How long a lane waits before it reads ahead again after a failed read (see `readAhead`). */
const READ_AHEAD_RETRY_MS = 500;

/** The longest a lane waits in this process when Redis refused its hold (see `holdLane`). */
const REFUSED_HOLD_WAIT_MS = 5000;

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * One BullMQ worker per lane. `setGlobalConcurrency(1)` makes each lane deliver one job at a time
 * across every worker process, which is what keeps per-key order. A retry holds the lane with
 * BullMQ's manual rate limit: the job goes back to the consuming end of its lane and the lane
 * waits out the backoff, in every worker process, without using one of BullMQ's attempts.
 */
export async function startLaneWorkers(options: LaneWorkersOptions): Promise<LaneWorkers> {
  await holdEachLaneToOne(options.connection, options.prefix, options.lanes, {
    stopped: options.stopped ?? (() => false),
    onRetry: (lane, error) => options.onError?.({ lane, error: asError(error) }),
  });

  const prefetches = createLanePrefetches();
  const headLimits = options.followers ?? { maxJobs: 0, maxBytes: 0 };
  const laneKeys = (worker: Worker): LaneKeys => ({ key: (name) => worker.toKey(name) });

  /**
   * Whether the job's delivery was recorded already, and its followers. Followers may be newer
   * versions of the job's own object: if the worker dies between completing them and completing
   * the job, the job comes back with its delivery recorded and is
   * completed without being produced again (delivered-marks.ts). Undefined when the read failed:
   * then nobody knows whether the job was recorded, and producing it could land an old version
   * after newer ones, so the caller holds the lane and reads again.
   */
  async function readAhead(
    worker: Worker,
    lane: number,
    id: string,
  ): Promise<DeliveryStart | undefined> {
    const limits = options.followers;
    try {
      return await readFollowers(options.connection, laneKeys(worker), {
        jobId: id,
        maxJobs: limits?.maxJobs ?? 0,
        maxBytes: limits?.maxBytes ?? 0,
      });
    } catch (error) {
      options.onError?.({ lane, error: asError(error) });
      return undefined;
    }
  }

  /**
   * Puts the job back at the consuming end of its lane and holds the lane for `ms`: BullMQ's
   * manual rate limit, then its RateLimitError. Every step before the throw is a Redis write that
   * Redis may refuse, a Redis at its maxmemory under `noeviction` above all (an OOM error, while
   * Kafka is down and the backlog grows). Such an error must not escape the processor: BullMQ
   * would fail the job for good (it has one attempt) and take the lane's next job, a newer
   * version of the same key perhaps, ahead of it. So a refused hold is waited out here, for at
   * most the lock's remaining time and `REFUSED_HOLD_WAIT_MS`, and the job still goes back: the
   * script that moves it starts by removing it from the active list, a write Redis runs even then.
   */
  async function holdLane(worker: Worker, lane: number, ms: number, lockedUntil: number) {
    try {
      await worker.rateLimit(ms);
    } catch (error) {
      options.onError?.({ lane, error: asError(error) });
      await sleep(
        Math.min(ms, REFUSED_HOLD_WAIT_MS, Math.max(0, lockedUntil - deadlineClock.now())),
      );
    }
    return Worker.RateLimitError();
  }

  /**
   * Marks the job and the followers delivered with it (see delivered-marks.ts) before BullMQ
   * removes the jobs on completion: sent now, not waited for, on the connection BullMQ completes
   * the job on, so Redis runs it first and in the same turn. A failure leaves the followers
   * waiting, delivered again later, and the job without its mark: a commit posted again would be
   * delivered again. Both are duplicates, not loss. The script also reads what the lane's next
   * job will need (lane-prefetch.ts).
   */
  function recordDelivery(
    worker: Worker,
    lane: number,
    job: { id: string; token: string; followers: readonly LaneFollower[] },
    outcome: Extract<LaneOutcome, { kind: 'delivered' }>,
  ): void {
    const delivered = job.followers.slice(0, outcome.followers ?? 0).map((f) => f.id);
    const recording = recordDelivered(options.connection, laneKeys(worker), {
      jobId: job.id,
      token: job.token,
      followerIds: delivered,
      aheadIds: outcome.deliveredAhead ?? [],
      markForMs: options.dedupWindowMs,
      ...(options.followers ? { prefetch: options.followers } : {}),
      dropWakeIfIdle: !worker.closing && !worker.isPaused(),
    });
    recording.catch((error: unknown) =>
      options.onError?.({
        lane,
        error: new DeliveryNotRecordedError(
          job.id,
          delivered.length + (outcome.deliveredAhead?.length ?? 0),
          error,
        ),
      }),
    );
    prefetches.expect(
      lane,
      job.token,
      recording.then((r) => r.next),
    );
  }

  /**
   * What the retry counts (attempt, last error) is for the next try and the dashboard; a Redis
   * that refuses it must not turn the retry into a failure (see `holdLane`). Written only under
   * this worker's lock: past it, the job may be another worker's retry now. Then the lane is
   * held for the backoff. Resolves with the error the processor throws.
   */
  async function retryLater(
    worker: Worker,
    lane: number,
    job: { id: string; token: string | undefined; lockedUntil: number },
    outcome: Extract<LaneOutcome, { kind: 'retry' }>,
  ): Promise<Error> {
    if (job.token !== undefined) {
      const written = await writeProgressUnderLock(
        options.connection,
        worker.toKey(job.id),
        job.token,
        outcome.progress,
      ).catch((error: unknown) => {
        options.onError?.({ lane, error: asError(error) });
        return undefined;
      });
      if (written === false) {
        // Not this worker's job any more: no hold of the lane (another worker may be delivering
        // it, and the lane's next ones, now). Thrown, the error makes BullMQ try to fail the
        // job, which its lock check refuses: the job stays its holder's.
        const lost = new LockLostError(job.id);
        options.onError?.({ lane, error: lost });
        return lost;
      }
    }
    return holdLane(worker, lane, Math.max(1, Math.round(outcome.delayMs)), job.lockedUntil);
  }

  const workers = options.lanes.map((lane) => {
    const worker: Worker<CommitJobData> = new LaneBullmqWorker(
      laneQueueName(lane),
      async (job: Job<CommitJobData>, token?: string) => {
        // Should it fail, kept until the workers' sweep removes it (commitJobOptions): a job
        // stored before 2026-12-06 carries BullMQ's `removeOnFail.age`, with which its failure
        // would remove the lane's older failures without a word.
        job.opts.removeOnFail = false;
        // From when this worker asked for the job, not from when the answer came: BullMQ stamps
        // `processedOn` with this process's clock before it sends the request that locks the job.
        // An answer that arrived late (a paused process, a slow link) must not stretch the
        // deadline past a lock that may have lapsed meanwhile.
        // On the deadline clock (lane-job.ts), from `processedOn`'s offset from now: milliseconds
        // ago, so that only a wall-clock step back in that round trip can stretch it.
        const wallNow = Date.now();
        const askedAt = deadlineClock.fromWall(Math.min(job.processedOn ?? wallNow, wallNow));
        const lockedUntil = askedAt + options.lockDurationMs - options.lockDurationMs / 5;
        const id = job.id ?? job.data.id;
        const retry = isRetryProgress(job.progress) ? job.progress : undefined;
        // Read with the command that handed the job over, a retried job's too: it takes along the
        // newer versions of its own object among them (deliver-commit.ts).
        const ahead = await prefetches.take(lane, token, id);
        const start = ahead ?? (await readAhead(worker, lane, id));
        if (!start) throw await holdLane(worker, lane, READ_AHEAD_RETRY_MS, lockedUntil);
        const { recorded, followers } = start;
        // Delivered before, by a worker that died before completing it: complete it now.
        if (recorded) return;
        // Sent beside the produce request, not waited for: it is read only if the job stalls.
        markHolder(options.connection, worker.toKey(id), options.workerName).catch(() => undefined);
        const outcome = await options.handle({
          id,
          lane,
          data: job.data,
          retry,
          stalledCount: job.stalledCounter,
          followers,
          lockedUntil,
        });
        if (outcome.kind === 'delivered') {
          if (token !== undefined) recordDelivery(worker, lane, { id, token, followers }, outcome);
          return;
        }
        if (outcome.kind === 'fail') {
          throw new UnrecoverableError(`${outcome.reason}: ${outcome.message}`);
        }
        throw await retryLater(worker, lane, { id, token, lockedUntil }, outcome);
      },
      {
        connection: options.connection,
        prefix: options.prefix,
        name: options.workerName,
        concurrency: 1,
        lockDuration: options.lockDurationMs,
        ...(options.idleWaitSeconds === undefined ? {} : { drainDelay: options.idleWaitSeconds }),
        stalledInterval: Math.max(1000, Math.round(options.lockDurationMs / 2)),
        maxStalledCount: NEVER_FAIL_FOR_STALLING,
        limiter: HOLD_ACROSS_WORKERS,
        // Delivered and failed per minute for the dashboard, a day of them (BullMQ's metrics).
        metrics: { maxDataPoints: METRIC_MINUTES_KEPT },
        autorun: true,
      },
      (token) =>
        prefetches.expect(
          lane,
          token,
          readLaneHead(options.connection, laneKeys(worker), headLimits),
        ),
    );
    worker.on('stalled', (jobId) => {
      readStalledHolder(options.connection, worker.toKey(jobId), Date.now(), options.lockDurationMs)
        .catch(() => undefined)
        .then((holder) => options.onStalled?.({ lane, jobId, worker: holder }))
        .catch(() => undefined);
    });
    worker.on('error', (error) => options.onError?.({ lane, error }));
    return worker;
  });
  // Started already (autorun): a start that fails here must not leave them taking jobs.
  await Promise.all(workers.map((w) => w.waitUntilReady())).catch(async (error: unknown) => {
    await Promise.allSettled(workers.map((w) => w.close()));
    throw error;
  });

  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
