import { randomUUID } from 'node:crypto';
import { laneFailures, UNREADABLE, type FailedDelivery } from './failed-deliveries.ts';
import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** Due failed jobs listed per round trip. */
const PAGE = 1000;

/**
 * Jobs read whole, then removed, at a time: a job holds its commit, up to a megabyte for a
 * `too-large` one, and each is read only to tell where its commit belongs.
 */
const AT_ONCE = 16;

/** How long a removal's record (below) is kept: far longer than ioredis takes to send again. */
const RECORD_MS = 600_000;

/**
 * Inputs: KEYS[1] a lane's failed set, KEYS[2] this call's record (a key of the lane, named by a
 * token of the call); ARGV[1] the lane's job key prefix, ARGV[2] the cutoff (epoch ms), ARGV[3]
 * how long the record is kept (ms), ARGV[4..] job ids. Removes each job still in the failed set
 * that failed at or before the cutoff (its score), with the keys BullMQ keeps beside a job (as
 * BullMQ's own removal deletes them); another sweep of the lane (another worker's) removed the
 * others. The ids removed are also kept in the record: the same call run again (ioredis sends a
 * command again when its connection was lost before the answer came, after Redis ran it) answers
 * them again instead of nothing, so that the commits it removed are still told. `allow-oom`: a
 * removal frees memory. Output: the ids removed.
 */
const REMOVE_FAILED = luaScript(`#!lua flags=allow-oom
if redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.call('LRANGE', KEYS[2], 0, -1)
end
local removed = {}
local cutoff = tonumber(ARGV[2])
for i = 4, #ARGV do
  local id = ARGV[i]
  local score = redis.call('ZSCORE', KEYS[1], id)
  if score and tonumber(score) <= cutoff then
    local job = ARGV[1] .. id
    redis.call('DEL', job, job .. ':logs', job .. ':dependencies', job .. ':processed',
      job .. ':failed', job .. ':unsuccessful')
    redis.call('ZREM', KEYS[1], id)
    removed[#removed + 1] = id
  end
end
if #removed > 0 then
  redis.call('RPUSH', KEYS[2], unpack(removed))
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return removed
`);

/**
 * Removes the failed deliveries of `lanes` that failed more than `retentionMs` ago, their jobs
 * and all. The only removal of failed deliveries: jobs carry no BullMQ `removeOnFail` (see
 * `commitJobOptions`), which removed them only when another job of the same lane failed, and then
 * without a word.
 *
 * Those commits are then gone from commitlog: `onRemoved` hears of each as it goes (its bucket
 * type, bucket, key, reason and failure time, never its values), read just before the removal
 * deletes the job that tells them, a few at a time, so that a run cut short has told every one it
 * removed, but for a process killed between a removal and its telling: those few (at most
 * `AT_ONCE`) are told by nobody. Each is removed, and told, once, however many workers sweep the
 * lane at the same time: only the ids read are removed, and a removal whose answer was lost and
 * that ioredis sent again answers the same ids (see `REMOVE_FAILED`). A job whose data does not
 * parse is told as `(unreadable)`.
 *
 * @returns how many were removed
 */
export async function removeExpiredFailures(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  retentionMs: number,
  onRemoved: (removed: FailedDelivery[]) => void,
  now: () => number = Date.now,
): Promise<number> {
  let count = 0;
  for (const lane of lanes) {
    await withLaneQueue(connection, prefix, lane, async (queue) => {
      const cutoff = now() - retentionMs;
      for (;;) {
        const due = await connection.zrangebyscore(
          queue.toKey('failed'),
          '-inf',
          cutoff,
          'LIMIT',
          0,
          PAGE,
        );
        let removedNow = 0;
        for (let i = 0; i < due.length; i += AT_ONCE) {
          const ids = due.slice(i, i + AT_ONCE);
          const read = await laneFailures(
            connection,
            queue,
            ids.map((jobId) => ({ lane, jobId, failedAt: 0 })),
          );
          const known = new Map(read.map((failure) => [failure.jobId, failure]));
          const gone = (await REMOVE_FAILED.run(
            connection,
            [queue.toKey('failed'), queue.toKey(`swept:${randomUUID()}`)],
            [queue.toKey(''), cutoff, RECORD_MS, ...ids],
          )) as string[];
          if (gone.length === 0) continue;
          onRemoved(gone.map((jobId) => known.get(jobId) ?? unreadable(lane, jobId)));
          removedNow += gone.length;
        }
        count += removedNow;
        // A page another sweep emptied first ends this one too: nothing left is ours to list.
        if (due.length < PAGE || removedNow === 0) return;
      }
    });
  }
  return count;
}

/**
 * Takes the turn to sweep the lanes' expired failures for `ms`, when no worker holds it: one
 * worker of the fleet sweeps per turn. Every worker swept every lane, each reading the same due
 * jobs whole (up to a megabyte each), to find that another had removed them. The turn is not
 * given back: a worker that stops holding it (killed, or done) leaves the next sweep to whoever
 * comes once it lapses. A sweep that overlaps another is still safe (`removeExpiredFailures`).
 */
export async function takeSweepTurn(
  connection: RedisConnection,
  prefix: string,
  holder: string,
  ms: number,
): Promise<boolean> {
  return (
    (await connection.set(`${prefix}:expired-failures-sweep`, holder, 'PX', ms, 'NX')) === 'OK'
  );
}

function unreadable(lane: number, jobId: string): FailedDelivery {
  return {
    lane,
    jobId,
    reason: 'unknown',
    message: '',
    failedAt: Number.NaN,
    bucketType: UNREADABLE,
    bucket: UNREADABLE,
    key: UNREADABLE,
  };
}
