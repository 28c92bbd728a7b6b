import type { WorkerConfig } from './config-types.ts';
import { formatAge } from './human-format.ts';

/** What a stop needs beyond a delivery's own time: the producer's last flush, a lane's hold. */
const STOP_MARGIN_MS = 5000;

/**
 * The COMMIT_TTL under which a worker warns: a Kafka outage of an hour (a broker's restart and
 * the drain of the lanes behind it, with time for whoever was paged to act) should not fail
 * commits as expired.
 */
export const SHORT_COMMIT_TTL_MS = 3_600_000;

/** Whole seconds where exact; else as given, or 28,999 ms would read "29s is shorter than 29s". */
const s = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** A setting the worker runs with but warns about, and why. */
export interface SettingWarning {
  setting: string;
  message: string;
}

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
  return (
    `SHUTDOWN_TIMEOUT (${s(config.shutdownTimeoutMs)}) is shorter than a delivery in hand may ` +
    `take (four fifths of WORKER_LOCK, and ${s(STOP_MARGIN_MS)} to flush): at least ` +
    `${s(needed)} lets a stop finish them; a stop cut short leaves them to come back after ` +
    `WORKER_LOCK as stalls, delivered again`
  );
}

/**
 * A warning when COMMIT_TTL is under an hour, or `undefined`. Not refused: the tests run with
 * seconds, and an expired commit is kept as a failed delivery to re-drive, not lost. But the
 * TTL counts from acceptance, so it is also spent waiting behind the lane, and "24m" typed for
 * "24h" fails every commit of a half-hour Kafka outage, which pages and asks for a mass re-drive.
 */
export function commitTtlWarning(config: Pick<WorkerConfig, 'commitTtlMs'>): string | undefined {
  if (config.commitTtlMs >= SHORT_COMMIT_TTL_MS) return undefined;
  return (
    `COMMIT_TTL (${formatAge(config.commitTtlMs)}) is under ${formatAge(SHORT_COMMIT_TTL_MS)}: a commit is ` +
    `retried only that long from its acceptance, waiting behind its lane included, so a Kafka ` +
    `outage that long fails its commits as expired (kept for FAILED_RETENTION, to re-drive)`
  );
}

/** Every warning about the worker's settings, for its start-up log and `commitlog check worker`. */
export function workerSettingWarnings(
  config: Pick<WorkerConfig, 'shutdownTimeoutMs' | 'lockDurationMs' | 'commitTtlMs'>,
): SettingWarning[] {
  const warnings: SettingWarning[] = [];
  const stop = shutdownBudgetWarning(config);
  if (stop !== undefined) warnings.push({ setting: 'SHUTDOWN_TIMEOUT', message: stop });
  const ttl = commitTtlWarning(config);
  if (ttl !== undefined) warnings.push({ setting: 'COMMIT_TTL', message: ttl });
  return warnings;
}
