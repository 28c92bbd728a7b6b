import type { CommitJobData } from './commit-job.ts';
import { DELIVERED_MARK, MARK_RECORDED, MARK_STARTED } from './delivered-marks.ts';
import { MARK_HOLDER_FUNCTION } from './job-holder.ts';
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
 */
export interface LaneFollower {
  id: string;
  data: CommitJobData;
}

/**
 * Inputs: KEYS[1] the lane's wait list, KEYS[2] the active job's hash; ARGV[1] the prefix of its
 * job keys, ARGV[2] most jobs, ARGV[3] most bytes of job data, ARGV[4] the worker's name,
 * ARGV[5] the active job's id, ARGV[6] how long its delivered mark is kept (ms).
 * Marks the worker as the active job's holder (job-holder.ts) and writes the job's delivered
 * mark (delivered-marks.ts) ahead of its delivery, in the same round trip. Output: `1` when the
 * job's delivery was recorded already (nothing else is read), else `0`, then id, data, id,
 * data... of the jobs next in line, the next one first (BullMQ takes from the right end of the
 * wait list). Stops at a job without data and before the job that would pass the byte budget.
 */
const START_DELIVERY = luaScript(`${MARK_HOLDER_FUNCTION}
markHolder(KEYS[2], ARGV[4])
local mark = ARGV[1] .. '${DELIVERED_MARK}' .. ARGV[5]
if redis.call('GET', mark) == '${MARK_RECORDED}' then return { '1' } end
redis.call('SET', mark, '${MARK_STARTED}', 'PX', ARGV[6])
if tonumber(ARGV[2]) < 1 then return { '0' } end
local ids = redis.call('LRANGE', KEYS[1], -tonumber(ARGV[2]), -1)
local budget = tonumber(ARGV[3])
local out = { '0' }
for i = #ids, 1, -1 do
  local data = redis.call('HGET', ARGV[1] .. ids[i], 'data')
  if not data then break end
  budget = budget - #data
  if budget < 0 then break end
  out[#out + 1] = ids[i]
  out[#out + 1] = data
end
return out
`);

/** The keys of one lane queue, as BullMQ names them. */
export interface LaneKeys {
  /** `toKey(name)` of the lane's BullMQ queue. */
  key(name: string): string;
}

export interface StartDeliveryOptions {
  jobId: string;
  workerName: string;
  /** DEDUP_WINDOW, ms: how long the job's delivered mark is kept. */
  markForMs: number;
  /** Most followers; 0 for none. */
  maxJobs: number;
  maxBytes: number;
}

/** What starting a delivery found. */
export interface DeliveryStart {
  /** The job's delivery was recorded before (its worker died before completing it). */
  recorded: boolean;
  followers: LaneFollower[];
}

/**
 * Marks this worker as the active job's holder, writes the job's delivered mark, and reads the
 * jobs waiting next in its lane, next first. Unreadable data ends the list there.
 */
export async function startDelivery(
  connection: RedisConnection,
  lane: LaneKeys,
  options: StartDeliveryOptions,
): Promise<DeliveryStart> {
  const reply = (await START_DELIVERY.run(
    connection,
    [lane.key('wait'), lane.key(options.jobId)],
    [
      lane.key(''),
      Math.max(0, options.maxJobs),
      options.maxBytes,
      options.workerName,
      options.jobId,
      Math.max(1, Math.round(options.markForMs)),
    ],
  )) as string[];
  const followers: LaneFollower[] = [];
  if (reply[0] === '1') return { recorded: true, followers };
  for (let i = 1; i + 1 < reply.length; i += 2) {
    try {
      followers.push({ id: reply[i]!, data: JSON.parse(reply[i + 1]!) as CommitJobData });
    } catch {
      break;
    }
  }
  return { recorded: false, followers };
}
