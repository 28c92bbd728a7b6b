import type { Job } from 'bullmq';
import type { CommitJobData } from './commit-job.ts';
import { heldBy, type HeldLane } from './delivery-views.ts';
import type { RedisConnection } from './redis-connection.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** How much one lane holds and how long its oldest commit has been waiting. */
export interface LaneBacklog {
  lane: number;
  /** Commits waiting in the lane, including one put back by a retry. */
  waiting: number;
  /** Commits being delivered now (0 or 1: one in flight per lane). */
  active: number;
  failed: number;
  /**
   * How long ago, ms, the oldest of the lane's failed deliveries failed: FAILED_RETENTION removes
   * it once this passes the retention. Undefined when none failed.
   */
  oldestFailedAgeMs?: number | undefined;
  /**
   * How long, ms, the commit at the head of the lane has waited there: since it was accepted, or
   * since it was re-driven (a failure re-driven after days is not days late: the lane moves).
   * Undefined when none wait.
   */
  oldestWaitingAgeMs: number | undefined;
  /**
   * Paused by an admin (Bull Board's pause, on the dashboard): the lane still takes commits but
   * no worker delivers them until it is resumed.
   */
  paused: boolean;
}

/** When a job entered its lane last: its re-drive, else its acceptance (epoch ms). */
function queuedAt(job: Job<CommitJobData>): number {
  const redrivenAt = Date.parse(job.data.redrivenAt ?? '');
  return Number.isNaN(redrivenAt) ? job.timestamp : Math.max(job.timestamp, redrivenAt);
}

/** Reads the backlog of lanes. Read-only; safe to call from any role. */
export async function readLaneBacklogs(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  now: () => number = Date.now,
): Promise<LaneBacklog[]> {
  return (await readLaneStates(connection, prefix, lanes, now)).backlogs;
}

/**
 * The backlog of lanes and those held by a retrying commit, from one read of each lane's head
 * (its job is read whole: the dashboard's overview read it twice when the two were read apart).
 */
export async function readLaneStates(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  now: () => number = Date.now,
): Promise<{ backlogs: LaneBacklog[]; held: HeldLane[] }> {
  const states = await Promise.all(
    lanes.map((lane) =>
      withLaneQueue(connection, prefix, lane, async (queue) => {
        const [counts, oldest, paused, firstFailed] = await Promise.all([
          queue.getJobCounts('wait', 'active', 'failed'),
          queue.getWaiting(0, 0),
          queue.isPaused(),
          // The failed set is scored by failure time: its first entry failed first. Its id and
          // score only, not the job, which can hold a commit of a megabyte.
          connection.zrangebyscore(
            queue.toKey('failed'),
            '-inf',
            '+inf',
            'WITHSCORES',
            'LIMIT',
            0,
            1,
          ),
        ]);
        const failedAt = firstFailed[1] === undefined ? undefined : Number(firstFailed[1]);
        const head = oldest[0];
        const backlog: LaneBacklog = {
          lane,
          waiting: counts.wait ?? 0,
          active: counts.active ?? 0,
          failed: counts.failed ?? 0,
          oldestFailedAgeMs: failedAt === undefined ? undefined : Math.max(0, now() - failedAt),
          oldestWaitingAgeMs: head ? Math.max(0, now() - queuedAt(head)) : undefined,
          paused,
        };
        return { backlog, held: heldBy(lane, head) };
      }),
    ),
  );
  return {
    backlogs: states.map((s) => s.backlog),
    held: states.flatMap((s) => (s.held === undefined ? [] : [s.held])),
  };
}
