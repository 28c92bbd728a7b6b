import type { RedisConnection } from './redis-connection.ts';

/**
 * A Lua function for scripts that start a delivery: `markHolder(jobKey, worker)` moves the job's
 * `clh` (holder) field to `clp` (previous holder) and sets `clh` to `worker`, atomically. Never
 * creates a hash: a job that is gone is left alone.
 */
export const MARK_HOLDER_FUNCTION = `
local function markHolder(jobKey, worker)
  if redis.call('EXISTS', jobKey) == 0 then return 0 end
  local previous = redis.call('HGET', jobKey, 'clh')
  if previous then redis.call('HSET', jobKey, 'clp', previous) end
  redis.call('HSET', jobKey, 'clh', worker)
  return 1
end
`;

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
