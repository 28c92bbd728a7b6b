import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * Inputs: KEYS[1] the job's hash; ARGV[1] the worker's name. Moves the job's `clh` (holder) field
 * to `clp` (previous holder) and sets `clh` to the worker, atomically. Never creates a hash: a job
 * that is gone is left alone. Output: 1 when written, 0 when the job is gone.
 */
const MARK_HOLDER = luaScript(`
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
