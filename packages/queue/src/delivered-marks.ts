import type { Queue } from 'bullmq';
import { LANE_AHEAD_LUA, parseLaneHead, type LaneHead, type LaneKeys } from './lane-followers.ts';
import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';
import { METRIC_MINUTES_KEPT } from './delivery-rates.ts';
import { DELIVERED_MARK, JOB_RECORDED_FIELD, MARK_RECORDED } from './delivered-mark-names.ts';

export { DELIVERED_MARK, JOB_RECORDED_FIELD, MARK_RECORDED };

/**
 * A delivered commit leaves a small mark in its lane, `<lane>:delivered:<commit id>`, kept for
 * DEDUP_WINDOW; its job is removed when it completes. The ingest answers `duplicate` for a commit
 * whose job or mark exists. Keeping whole completed jobs for the window instead cost each commit
 * its value (kilobytes) in Redis for a day; a mark costs about a hundred bytes.
 *
 * The marks are written before the job is removed: `recordDelivered` writes the active job's and
 * its followers' once Kafka has them, and is sent ahead of BullMQ's completion of the active job on
 * the same connection, so Redis runs it first (and, both arriving together, in the same turn of its
 * event loop: one fsync). So at every moment a commit that was accepted has its job, its mark, or
 * both.
 */
export function deliveredMarkKey(lane: LaneKeys, commitId: string): string {
  return lane.key(`${DELIVERED_MARK}${commitId}`);
}

/**
 * Inputs: KEYS[1] wait list, KEYS[2] the active job's lock, KEYS[3] the lane's completed
 * metrics, KEYS[4] their per-minute data points, KEYS[5] the lane's wake-up marker, KEYS[6] its
 * prioritized jobs; ARGV[1] the active job's lock token, ARGV[2] job key prefix, ARGV[3] the
 * active job's id, ARGV[4] how long marks are kept (ms), ARGV[5] now (epoch ms, as BullMQ's
 * completion is given), ARGV[6] most data points kept, ARGV[7] most followers and ARGV[8] most
 * bytes of them for the prefetch (-1: none), ARGV[9] `1` to drop the wake-up marker when nothing
 * waits (see below), ARGV[10] how many follower ids follow, ARGV[11…] those ids in lane order, as
 * many as were delivered right behind the active job, then the ids of jobs further back that were
 * delivered with it (see below).
 * Output: `{ -1 }` when the active job's lock is not ours any more: then nothing is written, and
 * whoever holds it now delivers the job and its followers again. Else how many jobs were
 * completed besides the active one, then, when asked and readable, the prefetch: `head_ahead`'s
 * reply for the job now at the consuming end of the wait list (lane-followers.ts).
 *
 * The prefetch is what the lane holds for the job that BullMQ's completion, sent right after
 * this on the same connection, hands this worker next: that job's delivery then starts without
 * a read of its own (a Redis round trip between every two produce requests of a busy lane). The
 * worker takes it only for that job (its id, and the lock token BullMQ hands on with it), so a
 * job that reached it otherwise is read as before (see `lane-prefetch.ts`).
 *
 * A follower is completed as BullMQ's moveToFinished with removeOnComplete would (its job
 * removed, the per-minute metrics count that the next moveToFinished turns into data points)
 * without its events.
 *
 * BullMQ's move to active leaves its lane a wake-up marker, for the other workers of a queue
 * that runs several jobs at once. A lane runs one: the marker only wakes this worker's next wait
 * at once, for a move to active that finds nothing (two round trips, and a write, per commit
 * that finds its lane idle). It is dropped while nothing waits, unless the worker is closing or
 * paused (then BullMQ's completion fetches nothing, and the marker may be another worker's cue
 * for a job stored meanwhile). A job stored later leaves a marker of its own; one stored before
 * BullMQ's completion runs, while the lane is still held, is the one that completion fetches.
 *
 * The active job's delivery is also recorded in its own hash (JOB_RECORDED_FIELD): the mark
 * expires after DEDUP_WINDOW, and a job that comes back later than that (its worker died before
 * completing it, and no worker ran for a while) must still not be produced after the followers.
 *
 * A job further back that went with the active job (a newer version of its object, behind a job
 * of another key: deliver-commit.ts) is completed as a follower is, out of lane order: taken out
 * of the middle of the wait list, as BullMQ's own removal of a waiting job does. It is a few
 * entries from the consuming end, where `LREM` with a negative count starts and stops (asked only
 * for a job that exists: for a missing id it would scan the whole list). Left waiting, it would
 * be produced again in its turn (a duplicate). Only once every follower given was completed: a
 * follower left waiting (not next in line) is produced again in its turn, and a newer version
 * of its object further back must then follow it again, or the older would land last.
 *
 * `allow-oom`: a Redis at its maxmemory (noeviction) refuses a script's first write unless it is
 * flagged so, while BullMQ's completion that follows (its first write deletes the lock, which
 * Redis allows) still removes the job. Refused here, the job would go with no mark and its
 * delivered followers would stay waiting, to be produced again; an older version posted again
 * would not be recognised and would land after newer ones. The writes are a few small keys,
 * and the followers' jobs it removes free far more.
 */
const RECORD_DELIVERED = luaScript(`#!lua flags=allow-oom
${LANE_AHEAD_LUA}
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return { -1 } end
local prefix = ARGV[2]
redis.call('SET', prefix .. '${DELIVERED_MARK}' .. ARGV[3], '${MARK_RECORDED}', 'PX', ARGV[4])
redis.call('HSET', prefix .. ARGV[3], '${JOB_RECORDED_FIELD}', '${MARK_RECORDED}')
local done = 0
local followersEnd = 10 + tonumber(ARGV[10])
for i = 11, followersEnd do
  local id = ARGV[i]
  if redis.call('LINDEX', KEYS[1], -1) ~= id then break end
  redis.call('RPOP', KEYS[1])
  redis.call('SET', prefix .. '${DELIVERED_MARK}' .. id, '${MARK_RECORDED}', 'PX', ARGV[4])
  redis.call('DEL', prefix .. id, prefix .. id .. ':logs')
  done = done + 1
end
for i = followersEnd + 1, done == tonumber(ARGV[10]) and #ARGV or 0 do
  local id = ARGV[i]
  if redis.call('HEXISTS', prefix .. id, 'data') == 1 and redis.call('LREM', KEYS[1], -1, id) == 1 then
    redis.call('SET', prefix .. '${DELIVERED_MARK}' .. id, '${MARK_RECORDED}', 'PX', ARGV[4])
    redis.call('DEL', prefix .. id, prefix .. id .. ':logs')
    done = done + 1
  end
end
if done > 0 then
  -- BullMQ's collectMetrics, run by the completion that follows, credits everything counted
  -- since prevTS to prevTS's minute when the minute has changed: the followers would land in the
  -- lane's previous active minute (after an outage, its start). Roll the minute first, as it would.
  local prevTS = tonumber(redis.call('HGET', KEYS[3], 'prevTS'))
  local now = tonumber(ARGV[5])
  if prevTS then
    local n = math.min(math.floor(now / 60000) - math.floor(prevTS / 60000), tonumber(ARGV[6]))
    if n > 0 then
      local count = tonumber(redis.call('HGET', KEYS[3], 'count') or '0')
      redis.call('LPUSH', KEYS[4], count - tonumber(redis.call('HGET', KEYS[3], 'prevCount') or '0'))
      for _ = 2, n do redis.call('LPUSH', KEYS[4], 0) end
      redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[6]) - 1)
      redis.call('HSET', KEYS[3], 'prevCount', count, 'prevTS', now)
    end
  end
  redis.call('HINCRBY', KEYS[3], 'count', done)
end
if ARGV[9] == '1' and redis.call('LLEN', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[6]) == 0 then
  redis.call('ZREM', KEYS[5], '0')
end
-- A prefetch that fails (a key of the wrong type) is left to the next job's own read, which
-- holds the lane while it fails: this script has written, and must answer that it has.
local out = { done }
if tonumber(ARGV[7]) >= 0 then
  local ok, ahead = pcall(head_ahead, KEYS[1], prefix, tonumber(ARGV[7]), tonumber(ARGV[8]))
  if ok then
    for _, v in ipairs(ahead) do out[#out + 1] = v end
  end
end
return out
`);

export interface RecordDeliveredOptions {
  /** The lane's active job and its lock token. */
  jobId: string;
  token: string;
  /** Its followers that were delivered with it, in lane order. */
  followerIds: readonly string[];
  /** Jobs further back in its lane that were delivered with it. */
  aheadIds?: readonly string[];
  /** DEDUP_WINDOW, ms. */
  markForMs: number;
  /** The clock for the per-minute metrics, epoch ms (tests). */
  now?: number;
  /** Whether to drop the lane's wake-up marker when nothing waits (see `RECORD_DELIVERED`). */
  dropWakeIfIdle?: boolean;
  /** Limits of the prefetch for the lane's next job; none when absent. */
  prefetch?: { maxJobs: number; maxBytes: number };
}

export interface RecordedDelivery {
  /** How many jobs were completed besides the active one; -1 when its lock is no longer ours. */
  completed: number;
  /** What the lane holds for the job at the consuming end of its wait list, when asked. */
  next: LaneHead | undefined;
}

/**
 * Marks the active job and its delivered followers as delivered and completes the followers
 * and the jobs further back that went with it, and reads ahead for the lane's next job (see `RECORD_DELIVERED`). The script goes in full,
 * never by its hash alone: the worker does not wait for it before BullMQ completes the job, and a
 * NOSCRIPT retry would come after that completion.
 */
export async function recordDelivered(
  connection: RedisConnection,
  lane: LaneKeys,
  options: RecordDeliveredOptions,
): Promise<RecordedDelivery> {
  const reply = (await RECORD_DELIVERED.runInOrder(
    connection,
    [
      lane.key('wait'),
      lane.key(`${options.jobId}:lock`),
      lane.key('metrics:completed'),
      lane.key('metrics:completed:data'),
      lane.key('marker'),
      lane.key('prioritized'),
    ],
    [
      options.token,
      lane.key(''),
      options.jobId,
      Math.max(1, Math.round(options.markForMs)),
      options.now ?? Date.now(),
      METRIC_MINUTES_KEPT,
      options.prefetch?.maxJobs ?? -1,
      options.prefetch?.maxBytes ?? 0,
      options.dropWakeIfIdle ? 1 : 0,
      options.followerIds.length,
      ...options.followerIds,
      ...(options.aheadIds ?? []),
    ],
  )) as string[];
  return { completed: Number(reply[0]), next: parseLaneHead(reply, 1) };
}

/**
 * Inputs: KEYS[1..5] the lane's completed, failed, delayed, prioritized and waiting-children
 * sets, KEYS[6] its active list, KEYS[7] the job's hash, KEYS[8] the commit's delivered mark;
 * ARGV[1] the job's id. Output: the commit's state, as `commitState` gives it.
 *
 * BullMQ's `getJobState` finds a job by `LPOS` on the lane's wait list, a walk of the whole list
 * for a job at its consuming end or gone: 12-22 ms of Redis at a million waiting, while every
 * ingest and worker waits (the Deliveries page asks for 20 stalls every 15 s, `status` for 10).
 * Here the sets cost a look-up each, and the active list is read whole: it holds the job a lane
 * is delivering, one at a time (`holdEachLaneToOne`). A job that is in none of them and still
 * has its hash is waiting: a lane's jobs are in one of these, or in its wait list (BullMQ 6.7
 * keeps a paused lane's there too). A hash left in no list, by a hand edit, reads as waiting too.
 * Commitlog's lanes hold no job in the sets but `failed` (a retry's hold puts its job back in
 * the wait list; jobs have no delay, priority or parent, and go when they complete): the others
 * keep BullMQ's names for a job stored otherwise, at a look-up each.
 */
const COMMIT_STATE = luaScript(`
local id = ARGV[1]
local sets = { 'completed', 'failed', 'delayed', 'prioritized' }
for i, state in ipairs(sets) do
  if redis.call('ZSCORE', KEYS[i], id) then return state end
end
for _, active in ipairs(redis.call('LRANGE', KEYS[6], 0, -1)) do
  if active == id then return 'active' end
end
if redis.call('EXISTS', KEYS[7]) == 1 then
  if redis.call('ZSCORE', KEYS[5], id) then return 'waiting-children' end
  return 'waiting'
end
if redis.call('EXISTS', KEYS[8]) == 1 then return 'delivered' end
return 'unknown'
`);

/**
 * A commit's state in its lane: its job's (`waiting`, `active`, `failed`, ... as BullMQ's
 * `getJobState` names them), or `delivered` when the job is gone and its mark is there, or
 * `unknown`. One script of a few look-ups, however long the lane (`COMMIT_STATE`).
 */
export async function commitState(
  connection: RedisConnection,
  queue: Queue,
  commitId: string,
): Promise<string> {
  const key = (name: string): string => queue.toKey(name);
  return String(
    await COMMIT_STATE.run(
      connection,
      [
        key('completed'),
        key('failed'),
        key('delayed'),
        key('prioritized'),
        key('waiting-children'),
        key('active'),
        key(commitId),
        deliveredMarkKey({ key }, commitId),
      ],
      [commitId],
    ),
  );
}
