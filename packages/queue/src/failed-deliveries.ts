import { binaryToDisplay } from '@commitlog/core';
import type { Queue } from 'bullmq';
import type { CommitJobData } from './commit-job.ts';
import { failedEntries } from './failed-entries.ts';
import { laneQueueName } from './lane-queue-name.ts';
import type { RedisConnection } from './redis-connection.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** Failed deliveries that share a reason (`expired`, `too-large`, …). */
export interface FailedReasonGroup {
  reason: string;
  count: number;
  /** Epoch ms when the most recent of them failed. */
  newestAt: number;
  /** Epoch ms when the earliest of them failed. */
  oldestAt: number;
  /** The most recent of them, for a link to its job. */
  newest: { lane: number; jobId: string };
}

/** One failed delivery, as an operator sees it: never the commit's values. */
export interface FailedDelivery {
  lane: number;
  jobId: string;
  /** The reason, e.g. `expired`; see `reasonOf`. */
  reason: string;
  /** The failure's message after the reason. */
  message: string;
  /** Epoch ms of the failure. */
  failedAt: number;
  /** The commit's bucket type, bucket and key in display form (`base64:…` when not UTF-8). */
  bucketType: string;
  bucket: string;
  key: string;
}

/** The reason of a BullMQ `failedReason` written as `"<reason>: <message>"` by the lane workers. */
export function reasonOf(failedReason: string | null | undefined): string {
  if (!failedReason) return 'unknown';
  const end = failedReason.indexOf(': ');
  return end === -1 ? failedReason : failedReason.slice(0, end);
}

/** How many failed deliveries a long read goes through between two progress reports. */
export const FAILED_READ_PROGRESS_EVERY = 1000;

/**
 * Every failed delivery of `lanes`, grouped by reason, the most frequent reason first.
 * `onRead` hears how many were read every FAILED_READ_PROGRESS_EVERY: after a long Kafka outage
 * there are hundreds of thousands, and a command that lists them would otherwise say nothing
 * for minutes.
 */
export async function failedByReason(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  onRead?: (read: number) => void,
): Promise<FailedReasonGroup[]> {
  const groups = new Map<string, FailedReasonGroup>();
  let read = 0;
  for (const lane of lanes) {
    await withLaneQueue(connection, prefix, lane, async (queue) => {
      for await (const entry of failedEntries(connection, queue)) {
        if (++read % FAILED_READ_PROGRESS_EVERY === 0) onRead?.(read);
        const reason = reasonOf(entry.failedReason);
        const group = groups.get(reason);
        if (group) {
          group.count++;
          if (entry.finishedOn > group.newestAt) {
            group.newestAt = entry.finishedOn;
            group.newest = { lane, jobId: entry.id };
          }
          group.oldestAt = Math.min(group.oldestAt, entry.finishedOn);
        } else {
          groups.set(reason, {
            reason,
            count: 1,
            newestAt: entry.finishedOn,
            oldestAt: entry.finishedOn,
            newest: { lane, jobId: entry.id },
          });
        }
      }
    });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** The failure's message: the text after `"<reason>: "`. */
function messageOf(failedReason: string | null): string {
  if (!failedReason) return '';
  const end = failedReason.indexOf(': ');
  return end === -1 ? '' : failedReason.slice(end + 2);
}

/** Where a commit belongs when its job's data does not tell (not JSON, or not a commit). */
export const UNREADABLE = '(unreadable)';

/** The bucket type, bucket and key of a job's data; a job that holds no commit does not break the view. */
function whereFrom(data: string): Pick<FailedDelivery, 'bucketType' | 'bucket' | 'key'> {
  try {
    const { commit } = JSON.parse(data) as Partial<CommitJobData>;
    if (commit) {
      return {
        bucketType: binaryToDisplay(commit.bucketType),
        bucket: binaryToDisplay(commit.bucket),
        key: binaryToDisplay(commit.key),
      };
    }
  } catch {
    // not JSON, or not a commit: shown as unreadable
  }
  return { bucketType: UNREADABLE, bucket: UNREADABLE, key: UNREADABLE };
}

/** A failed job of a lane by when it failed (its score in the lane's failed set). */
export interface FailedId {
  lane: number;
  jobId: string;
  failedAt: number;
}

/**
 * The `limit` newest failed jobs of `lanes`, ids and times only, newest first: each lane's failed
 * set read by its key, without opening the lane's queue (which only names it).
 */
export async function newestFailedIds(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  limit: number,
): Promise<FailedId[]> {
  const perLane = await Promise.all(
    lanes.map(async (lane) => {
      const key = `${prefix}:${laneQueueName(lane)}:failed`;
      const flat = await connection.zrevrange(key, 0, limit - 1, 'WITHSCORES');
      const ids: FailedId[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        ids.push({ lane, jobId: flat[i]!, failedAt: Number(flat[i + 1]) });
      }
      return ids;
    }),
  );
  return perLane.flat().sort(newestFirst).slice(0, limit);
}

/**
 * The failed deliveries of one lane's `ids`, read without the commits' values (each job is read
 * whole, its commit and all, and dropped but for where the commit belongs).
 */
export async function laneFailures(
  connection: RedisConnection,
  queue: Queue<CommitJobData>,
  ids: readonly FailedId[],
): Promise<FailedDelivery[]> {
  if (ids.length === 0) return [];
  const pipeline = connection.pipeline();
  for (const { jobId } of ids) {
    pipeline.hmget(queue.toKey(jobId), 'failedReason', 'finishedOn', 'data');
  }
  const replies = (await pipeline.exec()) ?? [];
  return ids.flatMap(({ lane, jobId }, i): FailedDelivery[] => {
    const [error, value] = replies[i] ?? [new Error('incomplete pipeline reply'), null];
    if (error) throw error;
    const [failedReason, finishedOn, data] = value as [string | null, string | null, string | null];
    if (data === null || finishedOn === null) return []; // removed since the id was read
    return [
      {
        lane,
        jobId,
        reason: reasonOf(failedReason),
        message: messageOf(failedReason),
        failedAt: Number(finishedOn),
        ...whereFrom(data),
      },
    ];
  });
}

/** Newest first, and by id within a millisecond, as `recentFailures` orders them. */
export const newestFirst = (a: FailedId, b: FailedId): number =>
  b.failedAt - a.failedAt || a.jobId.localeCompare(b.jobId);

/**
 * The `limit` most recent failed deliveries over `lanes`, newest first. The ids and times of each
 * lane's newest come first, and only the `limit` newest of all are read whole: a job holds its
 * commit, up to a megabyte for a `too-large` one, and reading `limit` of them for every lane
 * (256 lanes, say) held hundreds of times what the view shows.
 */
export async function recentFailures(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  limit: number,
): Promise<FailedDelivery[]> {
  if (limit <= 0) return []; // ZREVRANGE 0 -1 would read every failed job
  const newest = await newestFailedIds(connection, prefix, lanes, limit);
  const read = await Promise.all(
    [...new Set(newest.map((id) => id.lane))].map((lane) =>
      withLaneQueue(connection, prefix, lane, (queue) =>
        laneFailures(
          connection,
          queue,
          newest.filter((id) => id.lane === lane),
        ),
      ),
    ),
  );
  return read.flat().sort(newestFirst);
}
