import { LaneCountMismatchError } from '@commitlog/queue';
import type { Logger } from '@commitlog/runtime';

/** How often a running worker reads the lane count recorded in Redis, ms. */
export const LANE_COUNT_CHECK_MS = 30_000;
/** How often the error is repeated while the count differs, ms. */
const REPEAT_MS = 5 * 60_000;

/**
 * Whether the lane count recorded in Redis differs from this worker's LANES. `undefined` (none
 * recorded) never does: the next process to use the prefix records it.
 */
export function laneCountMismatch(lanes: number, recorded: number | undefined): boolean {
  return recorded !== undefined && recorded !== lanes;
}

/**
 * The lanes of the recorded count that a worker with `lanes` does not read, as `from-to`, or
 * `undefined` when it reads them all (the recorded count is not higher).
 */
export function unreadLanes(lanes: number, recorded: number): string | undefined {
  return recorded > lanes ? `${lanes}-${recorded - 1}` : undefined;
}

/**
 * Reads the recorded lane count every `intervalMs` and logs an error while it differs from this
 * worker's. A worker checks the count when it starts; another process may change it later (an
 * ingest started with a new LANES while every lane was empty). From then on the ingests file
 * commits under the new count: those in lanes this worker does not read wait for no one. The
 * worker goes on delivering the lanes it has (nothing there is out of order), reports itself not
 * ready and raises `commitlog_lane_count_mismatch`; this line is for operators without those.
 */
export function watchLaneCount(options: {
  lanes: number;
  read: () => Promise<number | undefined>;
  logger: Pick<Logger, 'error'>;
  intervalMs?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}): { stop(): void } {
  const now = options.now ?? Date.now;
  let loggedAt: number | undefined;
  const check = async (): Promise<void> => {
    // Redis away: the lane workers and the probes say so; this check waits for the next turn.
    const recorded = await options.read().catch(() => undefined);
    if (!laneCountMismatch(options.lanes, recorded)) {
      loggedAt = undefined;
      return;
    }
    if (loggedAt !== undefined && now() - loggedAt < REPEAT_MS) return;
    loggedAt = now();
    const count = recorded ?? options.lanes;
    const error = new LaneCountMismatchError(options.lanes, count);
    const range = unreadLanes(options.lanes, count);
    const unread =
      range === undefined
        ? ''
        : `; until then, commits filed in lanes ${range} wait for a worker with LANES=${count}`;
    options.logger.error(
      { code: error.code, lanes: options.lanes, recorded },
      `${error.message}${unread}`,
    );
  };
  const timer = setInterval(() => void check(), options.intervalMs ?? LANE_COUNT_CHECK_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
