import { ERROR_LOG_INTERVAL_MS, throttledWarn, type Logger } from '@commitlog/runtime';

/** How often a running worker checks its lanes' one-job-at-a-time limit, ms. */
export const LANE_LIMIT_CHECK_MS = 30_000;

/**
 * Checks every `intervalMs` that each of the worker's lanes still holds one job at a time across
 * all workers (`restoreLaneLimits`), sets the limit again where it was lost, and logs an error
 * naming those lanes: meanwhile two workers may have delivered a lane's commits at once, out of
 * per-key order. A check that fails (Redis away, or refusing the script) is said in a warning,
 * at most once per ERROR_LOG_INTERVAL_MS, and tried again at the next turn.
 */
export function watchLaneLimits(options: {
  restore: () => Promise<number[]>;
  logger: Pick<Logger, 'error' | 'warn'>;
  intervalMs?: number;
}): { stop(): void } {
  const warn = throttledWarn(options.logger, ERROR_LOG_INTERVAL_MS);
  let running = false;
  const check = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const lanes = await options.restore().catch((err: unknown) => {
        warn('check', { err }, "cannot check the lanes' one-job-at-a-time limit; trying again");
        return [];
      });
      if (lanes.length === 0) return;
      options.logger.error(
        { code: 'LANE_LIMIT_RESTORED', lanes },
        "lanes had lost their one-job-at-a-time limit (their meta hash in Redis was removed or Redis was emptied) and it was set again; until then several workers could take a lane's commits at once, so per-key order may have been broken for commits delivered meanwhile",
      );
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void check(), options.intervalMs ?? LANE_LIMIT_CHECK_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
