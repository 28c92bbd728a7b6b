/**
 * The contract between a lane and the delivery code: the job a lane hands over (`LaneJob`) and
 * what the delivery code decided about it (`LaneOutcome`). See `lane-workers.ts`.
 */
import type { CommitJobData, RetryProgress } from './commit-job.ts';
import type { LaneFollower } from './lane-followers.ts';

/** One commit job as a lane hands it to the delivery code. */
export interface LaneJob {
  id: string;
  lane: number;
  data: CommitJobData;
  /** What the previous failed attempt recorded, if this delivery is being retried. */
  retry: RetryProgress | undefined;
  /** How many times a worker died (or stalled) while holding this job. */
  stalledCount: number;
  /**
   * The jobs waiting right behind this one in its lane, to deliver in the same produce request
   * (see `lane-followers.ts`). Delivering them is optional: the outcome says which were
   * delivered (a retried job only the newer versions of its own object: deliver-commit.ts).
   */
  followers: readonly LaneFollower[];
  /**
   * When, on this process's deadline clock (`deadlineClock`: epoch-like ms that a step of the
   * wall clock back does not move, and a jump forward or a suspended host does), this worker can no longer count on its lock on the job, renewed or
   * not: when it
   * asked for the job, plus the lock, less a fifth of it for a late event loop and a clock that
   * runs slow against Redis's. Past it, another worker may be delivering the job and the lane's next ones,
   * so this worker's records must no longer reach Kafka (a stale version would land after them).
   */
  lockedUntil: number;
}

/** What the delivery code decided about a job. */
export type LaneOutcome =
  /**
   * The job was delivered, and so were the first `followers` of its followers (default none),
   * and those further back named in `deliveredAhead` (ids; see `recordDelivered`).
   */
  | { kind: 'delivered'; followers?: number; deliveredAhead?: readonly string[] }
  /** Hold the lane: put the job back at its head and take nothing from the lane for `delayMs`. */
  | { kind: 'retry'; delayMs: number; progress: RetryProgress }
  /** No retry can fix it (or it expired): the job fails for good with `reason`. */
  | { kind: 'fail'; reason: string; message: string };
