import { CommitlogError } from '@commitlog/core';
import { createHash, randomUUID } from 'node:crypto';
import { holdsCommit } from './commit-job.ts';
import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** How long a removal's token is kept: far longer than ioredis takes to send a command again. */
const DISCARDED_KEPT_MS = 600_000;

/** How often a lane's job is read again when its data changed between the read and the script. */
const CHANGED_TRIES = 3;

/** Why a discard was refused (see `DiscardRefusedError`). */
type Refusal = 'holds-commit' | 'not-failed' | 'held' | 'changing';

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
          : why === 'changing'
            ? `${job} changed while it was read, ${CHANGED_TRIES} times: someone is editing it; try again once they are done`
            : `${job} is not a failed delivery (it waits, or is being delivered): only failed deliveries can be discarded`,
      { retriable: why === 'held' || why === 'changing' },
    );
    this.lane = lane;
  }
}

/**
 * Inputs: KEYS[1] the lane's failed set, KEYS[2] the job's hash; ARGV[1] the job's id, ARGV[2]
 * the SHA-1 of its data as the caller read it (`''`: none), ARGV[3] `1` when that data holds a
 * commit (`holdsCommit`, the rule the worker and the re-drive apply). Removes the job, as BullMQ's
 * removal of a job without parent or de-duplication id does (commitlog's have neither), only if it
 * is in the failed set, no worker's lock is on it, its data is still what the caller judged, and
 * that holds no commit. One script: between the checks and the removal nothing can re-drive or
 * repair the job. An id in the failed set whose hash is gone (`JobGoneId`: counted as failed, and
 * nothing else can remove it but the retention, days later) is removed from the set, with what
 * BullMQ keeps beside a job, if no lock is on it: it holds no commit to lose. ARGV[4] the call's
 * own token: a removal leaves it beside the job's key for ARGV[5] ms (with `:gone` after it for
 * an id whose job was gone), and the same call run again (ioredis sends a command again when its
 * connection was lost after Redis ran it) answers as the first run did from it, not `absent` (the
 * CLI said "no lane holds a job" and its audit record `removed: false` of a job it removed).
 * Written before the removal: refused for memory, it leaves the job whole. Output: `discarded`,
 * `job-gone` (an id whose job was gone, removed), `absent`, `not-failed`, `held`, `changed` (read
 * again) or `holds-commit`.
 */
const DISCARD_UNREADABLE = luaScript(`
local done = redis.call('GET', KEYS[2] .. ':discarded')
if done == ARGV[4] then return 'discarded' end
if done == ARGV[4] .. ':gone' then return 'job-gone' end
local failed = redis.call('ZSCORE', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 0 then
  if not failed then return 'absent' end
  if redis.call('EXISTS', KEYS[2] .. ':lock') == 1 then return 'held' end
  redis.call('SET', KEYS[2] .. ':discarded', ARGV[4] .. ':gone', 'PX', ARGV[5])
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[2] .. ':logs', KEYS[2] .. ':dependencies', KEYS[2] .. ':processed',
    KEYS[2] .. ':failed', KEYS[2] .. ':unsuccessful')
  return 'job-gone'
end
if not failed then return 'not-failed' end
if redis.call('EXISTS', KEYS[2] .. ':lock') == 1 then return 'held' end
local data = redis.call('HGET', KEYS[2], 'data')
if (data and redis.sha1hex(data) or '') ~= ARGV[2] then return 'changed' end
if ARGV[3] == '1' then return 'holds-commit' end
redis.call('SET', KEYS[2] .. ':discarded', ARGV[4], 'PX', ARGV[5])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[2] .. ':logs', KEYS[2] .. ':dependencies',
  KEYS[2] .. ':processed', KEYS[2] .. ':failed', KEYS[2] .. ':unsuccessful')
return 'discarded'
`);

/**
 * Whether the job's data, as Redis holds it (bytes), holds a commit by the rule the worker and
 * the re-drive apply to what BullMQ reads (the bytes as UTF-8, then JSON), and its SHA-1.
 */
async function judgeData(
  connection: RedisConnection,
  jobKey: string,
): Promise<{ sha1: string; holds: boolean }> {
  const bytes = await connection.hgetBuffer(jobKey, 'data');
  if (bytes === null) return { sha1: '', holds: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  return { sha1: createHash('sha1').update(bytes).digest('hex'), holds: holdsCommit(parsed) };
}

/**
 * Removes a failed delivery whose job holds no commit (data that is not JSON, or not a commit
 * job's: a hand edit of Redis; see `TolerantJob`), which a re-drive leaves failed and names, or
 * an id of the failed set whose job is gone (`JobGoneId`), which a re-drive names too; `onJobGone`
 * hears when it was the latter (only the id went: there was no data to go with it). A job that
 * holds a commit is refused (`DiscardRefusedError`), as is one that is not in its lane's failed
 * set or that a worker holds. Every lane of `lanes` is looked in (after a change of LANES an id
 * may be in two): returns the lane the job was removed from; else throws the first refusal, or
 * returns undefined when no lane has a job (or a failed id) of that id.
 */
export async function discardUnreadable(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  jobId: string,
  onJobGone?: () => void,
): Promise<number | undefined> {
  let refused: DiscardRefusedError | undefined;
  const token = randomUUID();
  for (const lane of lanes) {
    const outcome = await withLaneQueue(connection, prefix, lane, async (queue) => {
      for (let tries = 1; ; tries++) {
        const { sha1, holds } = await judgeData(connection, queue.toKey(jobId));
        const done = (await DISCARD_UNREADABLE.run(
          connection,
          [queue.toKey('failed'), queue.toKey(jobId)],
          [jobId, sha1, holds ? '1' : '0', token, String(DISCARDED_KEPT_MS)],
        )) as 'discarded' | 'job-gone' | 'absent' | 'changed' | Refusal;
        if (done !== 'changed') return done;
        // Changed under it each time: someone is editing it; not a job to discard now.
        if (tries >= CHANGED_TRIES) return 'changing';
      }
    });
    if (outcome === 'job-gone') onJobGone?.();
    if (outcome === 'discarded' || outcome === 'job-gone') return lane;
    if (outcome !== 'absent') refused ??= new DiscardRefusedError(lane, jobId, outcome);
  }
  if (refused) throw refused;
  return undefined;
}
