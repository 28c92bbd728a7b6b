import type { WorkerConfig } from '@commitlog/runtime';

/** What a stop needs beyond a delivery's own time: the producer's last flush, a lane's hold. */
const STOP_MARGIN_MS = 5000;

/**
 * A warning when SHUTDOWN_TIMEOUT is shorter than a delivery in hand may take (up to four fifths
 * of WORKER_LOCK, waiting on Kafka) plus the stop's own margin, or `undefined`. Not refused: such
 * a stop loses nothing, but its unfinished jobs come back after WORKER_LOCK as stalls and are
 * delivered again, which an operator who shortened the stop should know.
 */
export function shutdownBudgetWarning(
  config: Pick<WorkerConfig, 'shutdownTimeoutMs' | 'lockDurationMs'>,
): string | undefined {
  const needed = Math.ceil((config.lockDurationMs * 4) / 5) + STOP_MARGIN_MS;
  if (config.shutdownTimeoutMs >= needed) return undefined;
  // Whole seconds where exact; else as given, or 28,999 ms would read "29s is shorter than 29s".
  const s = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  return (
    `SHUTDOWN_TIMEOUT (${s(config.shutdownTimeoutMs)}) is shorter than a delivery in hand may ` +
    `take (four fifths of WORKER_LOCK, and ${s(STOP_MARGIN_MS)} to flush): at least ` +
    `${s(needed)} lets a stop finish them; a stop cut short leaves them to come back after ` +
    `WORKER_LOCK as stalls, delivered again`
  );
}
