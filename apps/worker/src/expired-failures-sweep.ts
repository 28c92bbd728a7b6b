import { cutForLog } from '@commitlog/core';
import {
  lanesToCover,
  removeExpiredFailures,
  takeSweepTurn,
  type FailedDelivery,
  type RedisConnection,
} from '@commitlog/queue';
import type { Logger } from '@commitlog/runtime';

/** How often a worker removes the failed deliveries older than FAILED_RETENTION, ms. */
export const EXPIRED_FAILURES_SWEEP_MS = 10 * 60_000;

/**
 * Runs `remove` (the lanes' failed deliveries past FAILED_RETENTION) now and every `intervalMs`,
 * never two at once, and logs what it removed, one line per commit as `remove` tells them (lane,
 * job id, bucket type, bucket, key, reason, when it failed: never its values) and one for the
 * run: those commits are gone for good, unless the failure log of their hook still holds them,
 * and these lines are what is left to tell which they were. A failed run (Redis away) says how
 * many it had removed, and waits for the next turn.
 */
export function sweepExpiredFailures(options: {
  remove: (onRemoved: (removed: readonly FailedDelivery[]) => void) => Promise<number>;
  logger: Pick<Logger, 'warn'>;
  retentionMs: number;
  intervalMs?: number;
}): { stop(): void } {
  let running: Promise<void> | undefined;
  const run = (): void => {
    let removed = 0;
    // At warn: accepted commits that never reached Kafka are gone for good (the alert
    // CommitlogFailedNearRetention warned two days before).
    const tell = (failures: readonly FailedDelivery[]): void => {
      removed += failures.length;
      for (const failure of failures) {
        options.logger.warn(
          {
            lane: failure.lane,
            jobId: failure.jobId,
            bucketType: cutForLog(failure.bucketType),
            bucket: cutForLog(failure.bucket),
            key: cutForLog(failure.key),
            reason: cutForLog(failure.reason),
            failedAt: Number.isFinite(failure.failedAt)
              ? new Date(failure.failedAt).toISOString()
              : undefined,
          },
          'removed a failed delivery past FAILED_RETENTION: this commit is not on Kafka',
        );
      }
    };
    running ??= options
      .remove(tell)
      .then(() => {
        if (removed === 0) return;
        options.logger.warn(
          { removed, retentionMs: options.retentionMs },
          'removed failed deliveries older than FAILED_RETENTION: those commits are not on Kafka',
        );
      })
      .catch((err: unknown) =>
        options.logger.warn(
          { err, removed },
          'could not remove failed deliveries past FAILED_RETENTION',
        ),
      )
      .finally(() => {
        running = undefined;
      });
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? EXPIRED_FAILURES_SWEEP_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
    },
  };
}

/**
 * The sweep's removal as one worker of the fleet runs it: only on its turn (`takeSweepTurn`, held
 * for nine tenths of the interval, so that the worker whose turn it was finds it free at its next
 * run), and over every lane the recorded count or LANES names, whichever is more: during a
 * change of LANES, a worker of the smaller count holding the turn left the other lanes unswept.
 */
export function fleetSweepRemoval(options: {
  connection: RedisConnection;
  prefix: string;
  workerName: string;
  lanes: number;
  retentionMs: number;
  readRecordedLanes: () => Promise<number | undefined>;
  intervalMs?: number;
}): (onRemoved: (removed: readonly FailedDelivery[]) => void) => Promise<number> {
  const turnMs = 0.9 * (options.intervalMs ?? EXPIRED_FAILURES_SWEEP_MS);
  return async (onRemoved) => {
    if (!(await takeSweepTurn(options.connection, options.prefix, options.workerName, turnMs))) {
      return 0;
    }
    const cover = lanesToCover(await options.readRecordedLanes(), options.lanes);
    const lanes = Array.from({ length: cover }, (_, lane) => lane);
    return removeExpiredFailures(
      options.connection,
      options.prefix,
      lanes,
      options.retentionMs,
      onRemoved,
    );
  };
}
