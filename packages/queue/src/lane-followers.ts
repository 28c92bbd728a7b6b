import type { CommitJobData } from './commit-job.ts';
import { DELIVERED_MARK, JOB_RECORDED_FIELD, MARK_RECORDED } from './delivered-mark-names.ts';
import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * Followers: the jobs waiting right behind a lane's active job, delivered in the same produce
 * request. BullMQ hands a lane one job at a time (`setGlobalConcurrency(1)`, which is what keeps
 * per-key order across workers), so without this a lane delivers one commit per Kafka round trip.
 * Followers are read without being taken: while the head job is active, no worker can take
 * anything else from the lane, so they cannot be delivered by anyone else meanwhile. Once Kafka
 * has them, they are completed (`recordDelivered`) by one script that checks the head's lock is
 * still ours and that each follower is still next in line; a worker that dies before that leaves
 * them waiting, to be delivered again (a duplicate with the same commit id), never lost.
 * A busy lane reads its next job's followers as the job before completes (`recordDelivered`'s
 * prefetch), while that job still holds the lane: only BullMQ's completion, run right after, takes
 * from the lane before that next job is active, and jobs stored meanwhile go to the other end.
 */
export interface LaneFollower {
  id: string;
  data: CommitJobData;
}

/**
 * The Lua functions that tell what a lane holds for the delivery of its head job, shared by
 * `READ_FOLLOWERS` (the head is active) and the prefetches (`head_ahead`: the head is the job at
 * the consuming end of the wait list, which BullMQ takes next), read by a completion
 * (delivered-marks.ts) and before a move to active (`readLaneHead`).
 * `lane_ahead(wait, prefix, head, maxJobs, budget, behind)`: `{ '1' }` when the head's delivery
 * was recorded already (its mark, or its own hash: see `recordDelivered`; nothing else is read),
 * else `'0'`, then id, data, id, data... of the jobs next in line after the head, the next one
 * first (BullMQ takes from the right end of the wait list), skipping the last `behind` entries
 * of the list (the head itself when it is still waiting).
 * Stops at a job without data, before the job that would pass the byte budget, and before a job
 * whose delivery was recorded already: one stored again after it was delivered (a POST retried
 * while its first try was being delivered, two ingests racing) is completed without a produce
 * when its turn as the active job comes; handed along as a follower, it would be produced again,
 * and after the newer versions of its object delivered meanwhile.
 */
export const LANE_AHEAD_LUA = `
local function lane_ahead(wait, prefix, head, maxJobs, budget, behind)
  local marks = prefix .. '${DELIVERED_MARK}'
  if redis.call('GET', marks .. head) == '${MARK_RECORDED}' then return { '1' } end
  if redis.call('HGET', prefix .. head, '${JOB_RECORDED_FIELD}') == '${MARK_RECORDED}' then
    return { '1' }
  end
  if maxJobs < 1 then return { '0' } end
  local ids = redis.call('LRANGE', wait, -(maxJobs + behind), -1 - behind)
  local out = { '0' }
  for i = #ids, 1, -1 do
    if redis.call('GET', marks .. ids[i]) == '${MARK_RECORDED}' then break end
    local data = redis.call('HGET', prefix .. ids[i], 'data')
    if not data then break end
    budget = budget - #data
    if budget < 0 then break end
    out[#out + 1] = ids[i]
    out[#out + 1] = data
  end
  return out
end
local function head_ahead(wait, prefix, maxJobs, budget)
  local head = redis.call('LINDEX', wait, -1)
  if not head then return { '' } end
  local out = { head }
  for _, v in ipairs(lane_ahead(wait, prefix, head, maxJobs, budget, 1)) do out[#out + 1] = v end
  return out
end
`;

/**
 * Inputs: KEYS[1] the lane's wait list; ARGV[1] the prefix of its job keys, ARGV[2] most jobs,
 * ARGV[3] most bytes of job data, ARGV[4] the active job's id. Output: `lane_ahead`'s.
 *
 * It writes nothing. With `appendfsync always` Redis answers a turn of its event loop that
 * wrote only after an fsync, and this read stands between the job and its produce request: the
 * job's marks are written after Kafka's ack instead (`recordDelivered`), and who holds it beside
 * the produce request (`markHolder`).
 */
const READ_FOLLOWERS = luaScript(`${LANE_AHEAD_LUA}
return lane_ahead(KEYS[1], ARGV[1], ARGV[4], tonumber(ARGV[2]), tonumber(ARGV[3]), 0)
`);

/**
 * Inputs: KEYS[1] the lane's wait list, KEYS[2] its active list, KEYS[3] its meta hash; ARGV[1]
 * the prefix of its job keys, ARGV[2] most jobs, ARGV[3] most bytes of job data. Output:
 * `head_ahead`'s, or `{ '' }` (nothing read) when BullMQ's move to active would take nothing:
 * the lane holds an active job (a lane runs one at a time, `setGlobalConcurrency(1)`: the move
 * of every other worker process of the lane, woken by the marker BullMQ's own move leaves, while
 * the lane is busy) or is paused. Writes nothing.
 */
const READ_HEAD = luaScript(`${LANE_AHEAD_LUA}
if redis.call('LLEN', KEYS[2]) > 0 or redis.call('HEXISTS', KEYS[3], 'paused') == 1 then
  return { '' }
end
return head_ahead(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
`);

/** The keys of one lane queue, as BullMQ names them. */
export interface LaneKeys {
  /** `toKey(name)` of the lane's BullMQ queue. */
  key(name: string): string;
}

export interface ReadFollowersOptions {
  /** The active job. */
  jobId: string;
  /** Most followers; 0 for none. */
  maxJobs: number;
  maxBytes: number;
}

/** What a lane holds for the delivery of its active job. */
export interface DeliveryStart {
  /** The job's delivery was recorded before (its worker died before completing it). */
  recorded: boolean;
  followers: LaneFollower[];
}

/**
 * Whether the active job's delivery was recorded already, and the jobs waiting next in its lane,
 * next first. Unreadable data ends the list there. Writes nothing.
 */
export async function readFollowers(
  connection: RedisConnection,
  lane: LaneKeys,
  options: ReadFollowersOptions,
): Promise<DeliveryStart> {
  const reply = (await READ_FOLLOWERS.run(
    connection,
    [lane.key('wait')],
    [lane.key(''), Math.max(0, options.maxJobs), options.maxBytes, options.jobId],
  )) as string[];
  return parseLaneAhead(reply, 0);
}

/** What a lane holds for the job at the consuming end of its wait list. */
export interface LaneHead {
  jobId: string;
  start: DeliveryStart;
}

/**
 * What the lane holds for the job BullMQ would take from it next, if any waits and the lane is
 * neither busy nor paused. Sent right before a move to active on the same connection, it
 * normally runs just before it; when it does not (a NOSCRIPT retry, which follows the move), it
 * reads the job after the one taken, and the job's id tells (see `lane-prefetch.ts`). Writes
 * nothing.
 */
export async function readLaneHead(
  connection: RedisConnection,
  lane: LaneKeys,
  limits: { maxJobs: number; maxBytes: number },
): Promise<LaneHead | undefined> {
  const reply = (await READ_HEAD.run(
    connection,
    [lane.key('wait'), lane.key('active'), lane.key('meta')],
    [lane.key(''), Math.max(0, limits.maxJobs), limits.maxBytes],
  )) as string[];
  return parseLaneHead(reply, 0);
}

/** `head_ahead`'s reply, from `offset` in `reply`: undefined when nothing waits. */
export function parseLaneHead(reply: readonly string[], offset: number): LaneHead | undefined {
  const jobId = reply[offset];
  return jobId ? { jobId, start: parseLaneAhead(reply, offset + 1) } : undefined;
}

/** `lane_ahead`'s reply, from `offset` in `reply`. Unreadable data ends the list there. */
export function parseLaneAhead(reply: readonly string[], offset: number): DeliveryStart {
  const followers: LaneFollower[] = [];
  if (reply[offset] === '1') return { recorded: true, followers };
  for (let i = offset + 1; i + 1 < reply.length; i += 2) {
    try {
      followers.push({ id: reply[i]!, data: JSON.parse(reply[i + 1]!) as CommitJobData });
    } catch {
      break;
    }
  }
  return { recorded: false, followers };
}
