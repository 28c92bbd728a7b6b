import { binaryToDisplay } from '@commitlog/core';
import type { Queue } from 'bullmq';
import { byAcceptOrder, type AcceptOrder } from './accept-sequence.ts';
import { holdsCommit, type CommitJobData } from './commit-job.ts';
import { FAILED_READ_PROGRESS_EVERY, reasonOf } from './failed-deliveries.ts';
import { failedEntries, failedEntry, type FailedEntry } from './failed-entries.ts';
import type { JobGoneId } from './job-gone-ids.ts';
import { luaScript, type LuaScript } from './lua-script.ts';
import { RedriveInterruptedError } from './queue-errors.ts';
import { readJobMending } from './unreadable-job-fields.ts';
import type { RedisConnection } from './redis-connection.ts';
import { redriveScriptSource, reprocessSource } from './redrive-script.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** Which failed deliveries to re-drive; every given filter must match. */
export interface RedriveFilter {
  /** The reason, the text before the first `": "` of the failure (e.g. `expired`). */
  reason?: string;
  /** The commit's bucket in display form: the string, or `base64:<b64>` for a non-UTF-8 one. */
  bucket?: string;
  /** The commit's bucket type, in the same form (`default` for an untyped bucket). */
  bucketType?: string;
  /** Only deliveries that failed at least this many ms ago. */
  olderThanMs?: number;
  /** One delivery, by its job (commit) id. */
  jobId?: string;
}

export interface RedriveResult {
  /** Failed deliveries moved back to the end of their lanes. */
  redriven: number;
  /**
   * Matching deliveries that could not be moved: another process moved or removed them first, or
   * they failed again since they matched.
   */
  skipped: number;
  /**
   * Present when matching deliveries were left failed because their jobs hold no commit (data
   * that is not JSON, or not a commit job's: a hand edit of Redis): how many, and the ids of the
   * first `UNREADABLE_IDS_KEPT`, for an operator to discard them (`discardUnreadable`). The rest are
   * re-driven. Never with a `bucket` or `bucketType` filter, which such a job does not match.
   */
  unreadable?: { count: number; ids: string[] };
  /**
   * Present when matching ids of the failed sets have no job any more (`JobGoneId`): counted as
   * failed, but with nothing to re-drive. How many, and the first `UNREADABLE_IDS_KEPT` ids, for
   * an operator to remove them (`discardUnreadable`). Such an id has no reason and no bucket:
   * only a filter of neither (`--all`, `--job`, `--older-than` by its failed-set score) finds it.
   */
  jobGone?: { count: number; ids: string[] };
}

/** How many ids of unreadable jobs (or of jobs gone) a re-drive keeps for its report. */
export const UNREADABLE_IDS_KEPT = 10;

/** How many re-driven commits, or failed deliveries read or checked, apart `redrive` reports. */
export const REDRIVE_PROGRESS_EVERY = FAILED_READ_PROGRESS_EVERY;

/**
 * What a re-drive has looked at so far: failed deliveries read from the failed sets, and of the
 * matches, how many were read whole to check their bucket (`--bucket`, `--bucket-type`: a round
 * trip each).
 */
export interface RedriveReading {
  read: number;
  checked: number;
}

/**
 * The bucket (or bucket type) of a job's commit in display form, or undefined for a job without
 * commit data.
 */
function shownAs(
  data: Partial<CommitJobData> | undefined,
  part: 'bucket' | 'bucketType',
): string | undefined {
  const binary = data?.commit?.[part];
  return binary === undefined ? undefined : binaryToDisplay(binary);
}

/** Whether the filter asks for a bucket or a bucket type: each matching job is read whole. */
function byBucket(filter: RedriveFilter): boolean {
  return filter.bucket !== undefined || filter.bucketType !== undefined;
}

/**
 * Moves the failed deliveries that match `filter` back to the end of their lanes (a re-driven
 * commit arrives after newer ones; its vclock tells consumers). Each gets `redrivenAt`, from which
 * the worker counts a fresh TTL, and loses the retry progress of its failed delivery.
 *
 * A lane's re-driven commits go back in the order the lane stored them (`byAcceptOrder`: its
 * count of stores, which Redis keeps whichever ingest sent them), not in the failed set's order:
 * that is failure time by the failing worker's clock, and two versions of one key that failed in
 * the same millisecond, or on workers whose clocks disagree, would come back newest first. Jobs
 * stored before that count existed go first, by their ingests' clocks.
 *
 * Memory grows with a lane's matches by their ids and times only, never their commits: a long
 * Kafka outage can fail hundreds of thousands of commits past their TTL, and that is when they
 * are re-driven. The failed set is read as ids and times (about 100 bytes a match: some 50 MB
 * for half a million in one lane, to sort them); each job's data (the commit, kilobytes) is read
 * when it is moved, one at a time.
 * Stopped part-way by Redis, or by `signal` between two jobs: `RedriveInterruptedError`, carrying
 * what was done (the signal's reason is its cause). `onProgress` hears
 * the counts every REDRIVE_PROGRESS_EVERY re-driven, and `onReading` every REDRIVE_PROGRESS_EVERY
 * read or checked: a filter that matches few of hundreds of thousands would otherwise run for
 * minutes without a word.
 */
export async function redrive(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  filter: RedriveFilter,
  now: number = Date.now(),
  onProgress?: (soFar: RedriveResult) => void,
  onReading?: (soFar: RedriveReading) => void,
  signal?: AbortSignal,
): Promise<RedriveResult> {
  const result: RedriveResult = { redriven: 0, skipped: 0 };
  const reading: RedriveReading = { read: 0, checked: 0 };
  const redrivenAt = new Date(now).toISOString();
  // Made once BullMQ has loaded its scripts onto the connection (a queue opened on it is ready).
  let script: LuaScript | undefined;
  const redriveScript = async (queue: Queue): Promise<LuaScript> => {
    if (script === undefined) {
      await queue.waitUntilReady();
      script = luaScript(redriveScriptSource(reprocessSource(connection)));
    }
    return script;
  };
  // Looked for only where the filter could take one: a reason or a bucket it cannot have.
  const onJobGone =
    filter.reason === undefined && !byBucket(filter)
      ? (gone: JobGoneId): void => {
          if (filter.olderThanMs !== undefined && now - gone.failedAt < filter.olderThanMs) return;
          const jobGone = (result.jobGone ??= { count: 0, ids: [] });
          jobGone.count++;
          // After a change of LANES one id can be in two lanes: named once.
          if (jobGone.ids.length < UNREADABLE_IDS_KEPT && !jobGone.ids.includes(gone.id)) {
            jobGone.ids.push(gone.id);
          }
        }
      : undefined;
  try {
    for (const lane of lanes) {
      await withLaneQueue(connection, prefix, lane, async (queue) => {
        // Ids first: moving jobs out of the failed set while paging through it would skip some.
        // By id: a job re-driven elsewhere that fails again meanwhile can be read twice, and
        // only its latest failure can still be re-driven (`redriveScriptSource`).
        const matches = new Map<string, AcceptOrder & { id: string }>();
        const consider = (entry: FailedEntry): void => {
          signal?.throwIfAborted();
          reading.read++;
          if (reading.read % REDRIVE_PROGRESS_EVERY === 0) onReading?.({ ...reading });
          if (filter.reason !== undefined && reasonOf(entry.failedReason) !== filter.reason) return;
          if (filter.olderThanMs !== undefined && now - entry.finishedOn < filter.olderThanMs) {
            return;
          }
          // Not its failure text: a long outage fails hundreds of thousands.
          matches.set(entry.id, {
            id: entry.id,
            timestamp: entry.timestamp,
            finishedOn: entry.finishedOn,
            acceptSeq: entry.acceptSeq,
          });
        };
        if (filter.jobId !== undefined) {
          const entry = await failedEntry(connection, queue, filter.jobId, onJobGone);
          if (entry) consider(entry);
        } else {
          for await (const entry of failedEntries(connection, queue, undefined, onJobGone)) {
            consider(entry);
          }
        }
        const inOrder = [...matches.values()].sort(byAcceptOrder);
        for (const match of inOrder) {
          signal?.throwIfAborted();
          const moved = await redriveOne(
            connection,
            queue,
            match,
            filter,
            redrivenAt,
            redriveScript,
          );
          if (byBucket(filter) && moved !== 'skipped') {
            reading.checked++;
            if (reading.checked % REDRIVE_PROGRESS_EVERY === 0) onReading?.({ ...reading });
          }
          if (moved === 'skipped') result.skipped++;
          if (moved === 'unreadable') {
            const unreadable = (result.unreadable ??= { count: 0, ids: [] });
            unreadable.count++;
            if (unreadable.ids.length < UNREADABLE_IDS_KEPT) unreadable.ids.push(match.id);
          }
          if (moved !== 'redriven') continue;
          result.redriven++;
          if (result.redriven % REDRIVE_PROGRESS_EVERY === 0) onProgress?.(copyOf(result));
        }
      });
    }
  } catch (error) {
    throw new RedriveInterruptedError(copyOf(result), error);
  }
  return result;
}

/** A result that the re-drive's later counting does not change. */
function copyOf(result: RedriveResult): RedriveResult {
  const { unreadable, jobGone } = result;
  return {
    ...result,
    ...(unreadable ? { unreadable: { ...unreadable, ids: [...unreadable.ids] } } : {}),
    ...(jobGone ? { jobGone: { ...jobGone, ids: [...jobGone.ids] } } : {}),
  };
}

/**
 * Moves one failed job back to its lane: `skipped` when another process moved or removed it
 * first, or when it has failed again since it matched; `unmatched` when its bucket is not the
 * filter's (a job that holds no commit matches no bucket); `unreadable` when it holds no commit
 * (see `TolerantJob`): sent back, it would only fail again as poison.
 */
async function redriveOne(
  connection: RedisConnection,
  queue: Queue<CommitJobData>,
  { id, finishedOn }: Pick<FailedEntry, 'id' | 'finishedOn'>,
  filter: RedriveFilter,
  redrivenAt: string,
  redriveScript: (queue: Queue) => Promise<LuaScript>,
): Promise<'redriven' | 'skipped' | 'unmatched' | 'unreadable'> {
  const job = await readJobMending(connection, queue, id);
  if (!job) return 'skipped';
  if (!holdsCommit(job.data)) {
    // Of no bucket: a `--bucket` (or `--bucket-type`) does not take it, whatever was typed.
    return byBucket(filter) ? 'unmatched' : 'unreadable';
  }
  if (filter.bucket !== undefined && shownAs(job.data, 'bucket') !== filter.bucket) {
    return 'unmatched';
  }
  if (filter.bucketType !== undefined && shownAs(job.data, 'bucketType') !== filter.bucketType) {
    return 'unmatched';
  }
  // `redrivenAt` last, an earlier one's place left out: `readLaneStates` of versions before
  // 2026-12-07 (late night) reads it from the tail (and this one, of a job whose hash has no REDRIVEN_AT_FIELD).
  const rest: CommitJobData = { ...job.data };
  delete rest.redrivenAt;
  const data = JSON.stringify({ ...rest, redrivenAt });
  try {
    const { keys } = queue;
    const script = await redriveScript(queue);
    const moved = await script.run(
      connection,
      [
        queue.toKey('failed'),
        queue.toKey(id),
        keys.events!,
        keys.wait!,
        keys.meta!,
        keys.active!,
        keys.marker!,
        keys.prioritized!,
        keys.pc!,
      ],
      [id, data, finishedOn, redrivenAt],
    );
    return moved === 1 ? 'redriven' : 'skipped';
  } catch (error) {
    // Moved or removed by another process meanwhile: skipped; moved by this script, whose reply
    // was lost: re-driven. Still failed: a real error (Redis down, out of memory), which the
    // caller must see rather than a skip.
    // ZSCORE, not BullMQ's getJobState: for a job no longer failed, that walks the wait list.
    if ((await connection.zscore(queue.toKey('failed'), id)) !== null) throw error;
    return (await connection.hget(queue.toKey(id), 'data')) === data ? 'redriven' : 'skipped';
  }
}
