import type { Logger } from '@commitlog/runtime';

/** How often a worker removes the failed deliveries older than FAILED_RETENTION, ms. */
export const EXPIRED_FAILURES_SWEEP_MS = 10 * 60_000;

/**
 * Runs `remove` (the lanes' failed deliveries past FAILED_RETENTION) now and every `intervalMs`,
 * never two at once, and logs what it removed: those commits are gone for good, unless the
 * failure log of their hook still holds them. A failed run (Redis away) waits for the next turn.
 */
export function sweepExpiredFailures(options: {
  remove: () => Promise<number>;
  logger: Pick<Logger, 'warn'>;
  retentionMs: number;
  intervalMs?: number;
}): { stop(): void } {
  let running: Promise<void> | undefined;
  const run = (): void => {
    running ??= options
      .remove()
      .then((removed) => {
        if (removed === 0) return;
        // At warn: accepted commits that never reached Kafka are gone for good (the alert
        // CommitlogFailedNearRetention warned two days before).
        options.logger.warn(
          { removed, retentionMs: options.retentionMs },
          'removed failed deliveries older than FAILED_RETENTION: those commits are not on Kafka',
        );
      })
      .catch((err: unknown) =>
        options.logger.warn({ err }, 'could not remove failed deliveries past FAILED_RETENTION'),
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
