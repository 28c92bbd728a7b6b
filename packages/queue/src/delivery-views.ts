import type { Job } from 'bullmq';
import { isRetryProgress, type CommitJobData } from './commit-job.ts';
import { commitState } from './delivered-marks.ts';
import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** A lane held by a commit whose delivery is being retried (head-of-line by design). */
export interface HeldLane {
  lane: number;
  jobId: string;
  attempt: number;
  lastError: string;
  /** Epoch ms of the next try. */
  nextTryAt: number;
  /** Epoch ms of the first failed attempt. */
  heldSince: number;
}

/** A job that stalled: its worker died or hung while holding it, and BullMQ moved it back. */
export interface StallRecord {
  lane: number;
  jobId: string;
  /** Epoch ms when the stall was seen. */
  at: number;
  /** The name of the worker that held the job, when known. */
  worker: string | undefined;
}

/** A stall record with where its job is now (`waiting`, `active`, `completed`, `unknown`, …). */
export interface StallView extends StallRecord {
  state: string;
}

/** Stall records kept, roughly (`XADD … MAXLEN ~`): older ones are trimmed. */
const MAX_STALL_RECORDS = 10_000;
/** The stream of stall records; the hash tag keeps it on one slot of a Redis Cluster. */
export function stallStreamKey(prefix: string): string {
  return `${prefix}:{meta}:stalls`;
}

/**
 * The hold of a lane whose next commit is being retried: a retry puts the job back at the head of
 * its lane with its retry progress, and the lane delivers nothing else until that commit passes
 * or fails. `head` is the lane's next job; undefined when it is not being retried. Pure.
 */
export function heldBy(
  lane: number,
  head: Pick<Job<CommitJobData>, 'id' | 'progress'> | undefined,
): HeldLane | undefined {
  if (!head?.id || !isRetryProgress(head.progress)) return undefined;
  const p = head.progress;
  return {
    lane,
    jobId: head.id,
    attempt: p.attempt,
    lastError: String(p.lastError ?? ''),
    nextTryAt: p.nextTryAt,
    heldSince: typeof p.heldSince === 'number' ? p.heldSince : p.nextTryAt,
  };
}

/**
 * Inputs: KEYS[1] the stall stream; ARGV[1] how many records it keeps, roughly; ARGV[2..] the
 * record's fields and values. Output: the record's id. `allow-oom`: a worker that dies while
 * Redis is at its maxmemory (Kafka away long enough for the backlog to fill it) is exactly the
 * stall an operator must see; the stream is trimmed to its length, so it cannot grow without end.
 */
const RECORD_STALL = luaScript(`#!lua flags=allow-oom
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 2))
`);

/** Keeps a record of a stall, so that it stays visible after BullMQ moved the job back. */
export async function recordStall(
  connection: RedisConnection,
  prefix: string,
  stall: StallRecord,
): Promise<void> {
  await RECORD_STALL.run(
    connection,
    [stallStreamKey(prefix)],
    [
      MAX_STALL_RECORDS,
      'lane',
      String(stall.lane),
      'jobId',
      stall.jobId,
      'at',
      String(stall.at),
      ...(stall.worker === undefined ? [] : ['worker', stall.worker]),
    ],
  );
}

/** The most recent stall records, newest first, each with the state of its job now. */
export async function stallRecords(
  connection: RedisConnection,
  prefix: string,
  limit = 100,
): Promise<StallView[]> {
  const entries = await connection.xrevrange(stallStreamKey(prefix), '+', '-', 'COUNT', limit);
  const records: StallRecord[] = entries.map(([, fields]) => {
    const field = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) field.set(fields[i]!, fields[i + 1]!);
    return {
      lane: Number(field.get('lane')),
      jobId: field.get('jobId') ?? '',
      at: Number(field.get('at')),
      worker: field.get('worker'),
    };
  });
  const lanes = [...new Set(records.map((r) => r.lane))];
  const states = new Map<string, string>();
  await Promise.all(
    lanes.map((lane) =>
      withLaneQueue(connection, prefix, lane, async (queue) => {
        for (const r of records.filter((s) => s.lane === lane)) {
          states.set(`${lane}/${r.jobId}`, await commitState(connection, queue, r.jobId));
        }
      }),
    ),
  );
  return records.map((r) => ({ ...r, state: states.get(`${r.lane}/${r.jobId}`) ?? 'unknown' }));
}
