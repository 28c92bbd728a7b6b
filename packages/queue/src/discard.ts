import { CommitlogError } from '@commitlog/core';
import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** Why a discard was refused (see `DiscardRefusedError`). */
type Refusal = 'holds-commit' | 'not-failed' | 'held';

/**
 * A discard that would lose a commit, or touch a delivery that has not failed: refused, nothing
 * removed. Its message says what to do instead.
 */
export class DiscardRefusedError extends CommitlogError {
  readonly lane: number;

  constructor(lane: number, jobId: string, why: Refusal) {
    const job = `job ${jobId} of lane ${lane}`;
    super(
      'DISCARD_REFUSED',
      why === 'holds-commit'
        ? `${job} holds a commit: only a failed delivery whose job holds none can be discarded; re-drive it instead (commitlog redrive --job ${jobId})`
        : why === 'held'
          ? `${job} is held by a worker (its lock is set): try again once the lock has lapsed (WORKER_LOCK)`
          : `${job} is not a failed delivery (it waits, or is being delivered): only failed deliveries can be discarded`,
      { retriable: why === 'held' },
    );
    this.lane = lane;
  }
}

/**
 * Inputs: KEYS[1] the lane's failed set, KEYS[2] the job's hash; ARGV[1] the job's id. Removes
 * the job, as BullMQ's removal of a job without parent or de-duplication id does (commitlog's
 * have neither), only if it is in the failed set, no worker's lock is on it, and its data holds
 * no commit: data that does not parse, or parses to something other than an object whose
 * `commit` is an object (`holdsCommit`; Lua's cjson cannot tell an empty array from an empty
 * object, so `"commit": []` counts as a commit here, and is refused: the safe side). One script: between the checks and the
 * removal nothing can re-drive or repair the job. Output: `discarded`, `absent`, `not-failed`,
 * `held` or `holds-commit`.
 */
const DISCARD_UNREADABLE = luaScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return 'absent' end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 'not-failed' end
if redis.call('EXISTS', KEYS[2] .. ':lock') == 1 then return 'held' end
local data = redis.call('HGET', KEYS[2], 'data')
local ok, decoded = pcall(cjson.decode, data or '')
if ok and type(decoded) == 'table' and type(decoded['commit']) == 'table' then
  return 'holds-commit'
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[2] .. ':logs', KEYS[2] .. ':dependencies',
  KEYS[2] .. ':processed', KEYS[2] .. ':failed', KEYS[2] .. ':unsuccessful')
return 'discarded'
`);

/**
 * Removes a failed delivery whose job holds no commit (data that is not JSON, or not a commit
 * job's: a hand edit of Redis; see `TolerantJob`), which a re-drive leaves failed and names. A
 * job that holds a commit is refused (`DiscardRefusedError`), as is one that is not in its lane's
 * failed set or that a worker holds. Every lane of `lanes` is looked in (after a change of LANES
 * an id may be in two): returns the lane the job was removed from; else throws the first refusal,
 * or returns undefined when no lane has a job of that id.
 */
export async function discardUnreadable(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  jobId: string,
): Promise<number | undefined> {
  let refused: DiscardRefusedError | undefined;
  for (const lane of lanes) {
    const outcome = await withLaneQueue(
      connection,
      prefix,
      lane,
      async (queue) =>
        (await DISCARD_UNREADABLE.run(
          connection,
          [queue.toKey('failed'), queue.toKey(jobId)],
          [jobId],
        )) as 'discarded' | 'absent' | Refusal,
    );
    if (outcome === 'discarded') return lane;
    if (outcome !== 'absent') refused ??= new DiscardRefusedError(lane, jobId, outcome);
  }
  if (refused) throw refused;
  return undefined;
}
