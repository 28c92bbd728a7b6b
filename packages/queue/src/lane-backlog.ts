import type { JobProgress, Queue } from 'bullmq';
import { heldBy, type HeldLane } from './delivery-views.ts';
import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';
import { REDRIVEN_AT_FIELD } from './redriven-at-field.ts';
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
   * While a commit that holds the lane with its retries is being tried (active, not waiting), at
   * least since it began to hold it: an alert on this age would otherwise see 0 at each try and
   * start its `for:` again. Undefined when none wait and none is held.
   */
  oldestWaitingAgeMs: number | undefined;
  /**
   * Paused by an admin (Bull Board's pause, on the dashboard): the lane still takes commits but
   * no worker delivers them until it is resumed.
   */
  paused: boolean;
}

/** What `readLaneStates` reads of a lane's head: never its data, a commit of up to a megabyte. */
interface LaneHead {
  id: string;
  timestamp: number;
  /** 0 when none is set or it is not JSON, as BullMQ reads a job without progress. */
  progress: JobProgress;
  /** The last re-drive's time (epoch ms), if any. */
  redrivenAt: number | undefined;
}

/** How much of the end of a job's data `READ_HEAD` returns: its `redrivenAt` with room to spare. */
const DATA_TAIL_BYTES = 64;

/**
 * The largest data whose tail `READ_HEAD` reads, for a re-driven job without REDRIVEN_AT_FIELD
 * (re-driven by an earlier version). Lua gets a field's value whole: the tail of a commit of a
 * megabyte cost milliseconds of Redis, per lane, at every scrape of every worker. Such a job with
 * more data is aged from its acceptance.
 */
const DATA_TAIL_READ_MAX_BYTES = 64 * 1024;

/**
 * Inputs: KEYS[1] a lane's wait list; ARGV[1] its job key prefix. Output: the lane's head (the
 * consuming end of the list) as its id, `timestamp`, `progress`, its re-drive's time
 * (REDRIVEN_AT_FIELD, redrive.ts), and the last `DATA_TAIL_BYTES` of its data, where a re-drive
 * writes its `redrivenAt` as the last field, only for a job re-driven before that field was
 * written; nothing when no job waits. Such a job failed before (BullMQ counts its attempts,
 * `atm`, as it fails it, and a re-drive keeps the count); a job that never did was never
 * re-driven, and its data, small or not, is not read at all.
 * The data stays in Redis: read whole for every lane (`status`, the dashboard's pages every
 * 15 s), a backlog of large commits in 256 lanes was hundreds of megabytes a read, past the CLI's
 * command time-out, in the outage it is there to show.
 */
const READ_HEAD = luaScript(`
local id = redis.call('LINDEX', KEYS[1], -1)
if not id then return false end
local key = ARGV[1] .. id
local fields = redis.call('HMGET', key, 'timestamp', 'progress', '${REDRIVEN_AT_FIELD}', 'atm')
local tail = false
if fields[1] and not fields[3] and fields[4]
  and redis.call('HSTRLEN', key, 'data') <= ${DATA_TAIL_READ_MAX_BYTES} then
  local data = redis.call('HGET', key, 'data')
  if data then tail = string.sub(data, -${DATA_TAIL_BYTES}) end
end
return { id, fields[1], fields[2], fields[3], tail }
`);

const REDRIVEN_AT_TAIL = /"redrivenAt":"([^"\\]*)"\}$/;

function parsedOrUndefined(text: string | null | undefined): JobProgress | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as JobProgress;
  } catch {
    return undefined;
  }
}

async function readLaneHead(
  connection: RedisConnection,
  queue: Queue,
): Promise<LaneHead | undefined> {
  const reply = (await READ_HEAD.run(connection, [queue.toKey('wait')], [queue.toKey('')])) as
    [string, string | null, string | null, string | null, string | null] | null;
  if (!reply) return undefined;
  const [id, timestamp, progress, field, tail] = reply;
  // An id whose job is gone (removed between two reads, or by hand): no head to age.
  if (timestamp === null) return undefined;
  const redriven = field ?? REDRIVEN_AT_TAIL.exec(tail ?? '')?.[1];
  const redrivenAt = redriven === undefined ? NaN : Date.parse(redriven);
  return {
    id,
    timestamp: Number(timestamp),
    progress: parsedOrUndefined(progress) ?? 0,
    redrivenAt: Number.isNaN(redrivenAt) ? undefined : redrivenAt,
  };
}

/** When a job entered its lane last: its re-drive, else its acceptance (epoch ms). */
function queuedAt(head: LaneHead): number {
  return head.redrivenAt === undefined ? head.timestamp : Math.max(head.timestamp, head.redrivenAt);
}

/**
 * The id and retry progress of a lane's active job (`ids`: its active list's first entry, if
 * any; `jobKeyPrefix`: the lane's key prefix for jobs), or undefined when none is active or its
 * progress is not JSON.
 */
async function activeJobProgress(
  connection: RedisConnection,
  jobKeyPrefix: string,
  ids: readonly string[],
): Promise<{ id: string; progress: JobProgress } | undefined> {
  const id = ids[0];
  if (id === undefined) return undefined;
  const progress = parsedOrUndefined(await connection.hget(`${jobKeyPrefix}${id}`, 'progress'));
  return progress === undefined ? undefined : { id, progress };
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
 * (the dashboard's overview read it twice when the two were read apart).
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
        const [counts, oldest, paused, firstFailed, active] = await Promise.all([
          queue.getJobCounts('wait', 'active', 'failed'),
          readLaneHead(connection, queue),
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
          // The job being delivered, by id: its progress alone is read below (its data can be a
          // commit of a megabyte).
          connection.lrange(queue.toKey('active'), 0, 0),
        ]);
        const failedAt = firstFailed[1] === undefined ? undefined : Number(firstFailed[1]);
        const head = oldest;
        const heldNow = heldBy(lane, await activeJobProgress(connection, queue.toKey(''), active));
        const waitedMs = head ? Math.max(0, now() - queuedAt(head)) : undefined;
        const heldMs = heldNow ? Math.max(0, now() - heldNow.heldSince) : undefined;
        const backlog: LaneBacklog = {
          lane,
          waiting: counts.wait ?? 0,
          active: counts.active ?? 0,
          failed: counts.failed ?? 0,
          oldestFailedAgeMs: failedAt === undefined ? undefined : Math.max(0, now() - failedAt),
          oldestWaitingAgeMs:
            waitedMs === undefined || heldMs === undefined
              ? (waitedMs ?? heldMs)
              : Math.max(waitedMs, heldMs),
          paused,
        };
        return { backlog, held: heldBy(lane, head) ?? heldNow };
      }),
    ),
  );
  return {
    backlogs: states.map((s) => s.backlog),
    held: states.flatMap((s) => (s.held === undefined ? [] : [s.held])),
  };
}
