import { CommitlogError } from '@commitlog/core';
import type { CommitJobData } from './commit-job.ts';
import type { RedisConnection } from './redis-connection.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/**
 * A discard that would lose a commit, or touch a delivery that has not failed: refused, nothing
 * removed. Its message says what to do instead.
 */
export class DiscardRefusedError extends CommitlogError {
  readonly lane: number;

  constructor(lane: number, jobId: string, why: 'holds-commit' | 'not-failed') {
    super(
      'DISCARD_REFUSED',
      why === 'holds-commit'
        ? `job ${jobId} of lane ${lane} holds a commit: only a failed delivery whose job holds none can be discarded, so that no commit is lost; re-drive it instead (commitlog redrive --job ${jobId})`
        : `job ${jobId} of lane ${lane} is not a failed delivery (it is waiting, being delivered, or delivered): only failed deliveries can be discarded`,
      { retriable: false },
    );
    this.lane = lane;
  }
}

/**
 * Removes a failed delivery whose job holds no commit (data that is not JSON, or not a commit
 * job's: a hand edit of Redis; see `TolerantJob`), which a re-drive leaves failed and names.
 * Nothing of a commit is lost: a job that holds one is refused (`DiscardRefusedError`), as is a
 * job that is not in its lane's failed set. Returns the lane it was removed from, or undefined
 * when no lane of `lanes` has a job of that id.
 *
 * No re-drive moves such a job back meanwhile (a re-drive leaves it failed), and BullMQ's removal
 * refuses a job a worker holds: between the check and the removal, nothing can make it a delivery.
 */
export async function discardUnreadable(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  jobId: string,
): Promise<number | undefined> {
  for (const lane of lanes) {
    const found = await withLaneQueue(connection, prefix, lane, async (queue) => {
      const job = await queue.getJob(jobId);
      if (!job) return false;
      const failed = (await connection.zscore(queue.toKey('failed'), jobId)) !== null;
      if (!failed) throw new DiscardRefusedError(lane, jobId, 'not-failed');
      if ((job.data as Partial<CommitJobData>).commit !== undefined) {
        throw new DiscardRefusedError(lane, jobId, 'holds-commit');
      }
      if ((await queue.remove(jobId)) !== 1)
        throw new DiscardRefusedError(lane, jobId, 'not-failed');
      return true;
    });
    if (found) return lane;
  }
  return undefined;
}
