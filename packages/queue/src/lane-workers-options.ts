import type { LaneJob, LaneOutcome } from './lane-job.ts';
import type { RedisConnection } from './redis-connection.ts';

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
  /** Followers handed with each job; none when absent or `maxJobs` is 0. */
  followers?: {
    /** Most followers per job. */
    maxJobs: number;
    /** Most bytes of job data the followers of one job may carry. */
    maxBytes: number;
  };
  /**
   * DEDUP_WINDOW, ms: how long a delivered commit's mark is kept (its job is removed), so that
   * the ingest recognises the commit if it is posted again.
   */
  dedupWindowMs: number;
  /**
   * A job whose worker died was moved back to its lane. `worker` is the name of the worker that
   * held it (see `stalledHolder`), undefined when it cannot be told.
   */
  onStalled?: (event: { lane: number; jobId: string; worker: string | undefined }) => void;
  onError?: (event: { lane: number; error: Error }) => void;
  /** True once the caller's start-up was stopped: the start gives up at its next failure. */
  stopped?: () => boolean;
  /**
   * Seconds an idle lane's worker waits to be woken before it looks by itself (BullMQ's
   * `drainDelay`; 5 when absent). A commit stored without waking its lane is still delivered,
   * only this much later: tests lengthen it so that such a commit shows as never delivered.
   */
  idleWaitSeconds?: number;
}

export interface LaneWorkers {
  /** Stops taking jobs, waits for the jobs in hand to finish, closes the workers. */
  close(): Promise<void>;
}
