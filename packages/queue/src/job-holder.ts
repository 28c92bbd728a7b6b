import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * Inputs: KEYS[1] the job's hash; ARGV[1] the worker's name. Moves the job's `clh` (holder) field
 * to `clp` (previous holder) and sets `clh` to the worker, atomically. Never creates a hash: a job
 * that is gone is left alone. Output: 1 when written, 0 when the job is gone. `allow-oom`: two
 * short fields of a job that exists, and a stall while Kafka's absence has filled Redis should
 * still name the worker that held the job.
 */
const MARK_HOLDER = luaScript(`#!lua flags=allow-oom
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local previous = redis.call('HGET', KEYS[1], 'clh')
if previous then redis.call('HSET', KEYS[1], 'clp', previous) end
redis.call('HSET', KEYS[1], 'clh', ARGV[1])
return 1
`);

/**
 * Names `worker` as the holder of the job at `jobKey`, as its delivery starts. The worker sends it
 * beside its produce request without waiting for it: only a stall's report reads it.
 */
export async function markHolder(
  connection: RedisConnection,
  jobKey: string,
  worker: string,
): Promise<boolean> {
  return Number(await MARK_HOLDER.run(connection, [jobKey], [worker])) === 1;
}

/**
 * Inputs: KEYS[1] the job's hash, KEYS[2] its BullMQ lock; ARGV[1] the lock's token, ARGV[2] the
 * progress as JSON. Writes the job's `progress` (as BullMQ's `updateProgress` does, without its
 * event) only while the lock is still the caller's. Output: 1 when written, 0 otherwise.
 * `allow-oom`: a retry's progress matters most while Kafka is down and the backlog has filled
 * Redis to its maxmemory; the dashboard and `status` show it, and it is one small field.
 */
const WRITE_PROGRESS_UNDER_LOCK = luaScript(`#!lua flags=allow-oom
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[2])
return 1
`);

/**
 * Records a job's progress only while the worker still holds its lock (`token`). A worker whose
 * lock lapsed during a slow attempt (its send came too late, say) may find another worker
 * delivering the job by now; BullMQ's `updateProgress`, which checks no lock, would overwrite that
 * worker's record of the retry (attempt, next try) with a stale one. Resolves to whether it was
 * written.
 */
export async function writeProgressUnderLock(
  connection: RedisConnection,
  jobKey: string,
  token: string,
  progress: unknown,
): Promise<boolean> {
  const written = await WRITE_PROGRESS_UNDER_LOCK.run(
    connection,
    [jobKey, `${jobKey}:lock`],
    [token, JSON.stringify(progress)],
  );
  return Number(written) === 1;
}

/** What a job's hash says about who held it. */
export interface HolderFields {
  /** BullMQ's `processedBy`: the worker that took the job last. */
  processedBy: string | null;
  /** BullMQ's `processedOn`, epoch ms: when it was taken last. */
  processedOn: number;
  /** Ours: the worker that started delivering it last, and the one before. */
  holder: string | null;
  previousHolder: string | null;
}

/**
 * The worker that held a job when it stalled. A stalled holder took the job at least a lock's
 * duration before the stall was seen (its lock ran out; half a lock leaves room for clocks that
 * differ a little). A job taken more recently has been taken again: its stalled holder is our
 * `holder` field, or, once the new worker has started delivering, the `previousHolder`.
 */
export function stalledHolder(
  fields: HolderFields,
  seenAt: number,
  lockDurationMs: number,
): string | undefined {
  const takenAgain =
    !Number.isFinite(fields.processedOn) || seenAt - fields.processedOn < lockDurationMs / 2;
  if (!takenAgain) return fields.processedBy ?? fields.holder ?? undefined;
  if (fields.holder !== null && fields.holder !== fields.processedBy) return fields.holder;
  return fields.previousHolder ?? undefined;
}

/** Reads who held a stalled job (see `stalledHolder`); undefined when it cannot be told. */
export async function readStalledHolder(
  connection: RedisConnection,
  jobKey: string,
  seenAt: number,
  lockDurationMs: number,
): Promise<string | undefined> {
  const [processedBy, processedOn, holder, previousHolder] = await connection.hmget(
    jobKey,
    'pb',
    'processedOn',
    'clh',
    'clp',
  );
  return stalledHolder(
    {
      processedBy: processedBy ?? null,
      processedOn: processedOn ? Number(processedOn) : NaN,
      holder: holder ?? null,
      previousHolder: previousHolder ?? null,
    },
    seenAt,
    lockDurationMs,
  );
}
