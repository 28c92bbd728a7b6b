import type { Queue } from 'bullmq';
import type { CommitJobData } from './commit-job.ts';
import { DELIVERED_MARK } from './delivered-marks.ts';
import { LaneCountMismatchError, readLaneCountForStore } from './lane-count.ts';
import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * Inputs: KEYS[1] the lane's wait list; ARGV[1] the lane's key prefix, ARGV[2..] commit ids.
 * Output: the wait list's length, then for each commit how many of its job and its delivered
 * mark (delivered-marks.ts) exist: more than 0 means it was accepted before.
 */
const LOOK_UP = luaScript(`
local out = { redis.call('LLEN', KEYS[1]) }
for i = 2, #ARGV do
  out[i] = redis.call('EXISTS', ARGV[1] .. ARGV[i], ARGV[1] .. '${DELIVERED_MARK}' .. ARGV[i])
end
return out
`);

/**
 * Resolves when a store may file commits under `lanes`: the recorded count is `lanes` (or none is
 * recorded yet) and no change is under way (`LaneCountChangingError`), else
 * `LaneCountMismatchError`.
 */
export async function expectLaneCountForStore(
  connection: RedisConnection,
  prefix: string,
  lanes: number,
): Promise<void> {
  const recorded = await readLaneCountForStore(connection, prefix);
  if (recorded !== undefined && recorded !== lanes) {
    throw new LaneCountMismatchError(lanes, recorded);
  }
}

/** What a store needs to know before it adds: what is stored already, and how full each lane is. */
export interface LookUp {
  /** For each commit, in order: stored, or delivered within DEDUP_WINDOW. */
  exists: boolean[];
  /** Each lane's waiting commits. */
  backlog: Map<number, number>;
}

/**
 * One script per lane (a Redis Cluster script may only touch one slot, and each lane is one
 * slot), all lanes at once: is each commit already stored or delivered, and how long is its
 * lane's backlog. Alongside, the recorded lane count: an ingest left running with an old LANES
 * after another process changed it, or while another process changes it (the count's fence),
 * must refuse (503) rather than file commits in lanes that the workers no longer read, or under
 * a hash that reorders keys.
 *
 * @throws LaneCountMismatchError when Redis records another lane count than `lanes`
 */
export async function lookUpCommits(
  connection: RedisConnection,
  prefix: string,
  lanes: number,
  laneQueue: (lane: number) => Queue,
  commits: readonly Pick<CommitJobData, 'id' | 'lane'>[],
): Promise<LookUp> {
  const exists = new Array<boolean>(commits.length).fill(false);
  const backlog = new Map<number, number>();
  const readLane = async (lane: number): Promise<void> => {
    const queue = laneQueue(lane);
    const members = commits.flatMap((c, i) => (c.lane === lane ? [i] : []));
    const reply = (await LOOK_UP.run(
      connection,
      [queue.toKey('wait')],
      [queue.toKey(''), ...members.map((i) => commits[i]?.id ?? '')],
    )) as number[];
    if (reply.length !== members.length + 1) throw new Error('incomplete look-up reply');
    backlog.set(lane, Number(reply[0]));
    members.forEach((i, n) => (exists[i] = Number(reply[n + 1]) > 0));
  };
  await Promise.all([
    expectLaneCountForStore(connection, prefix, lanes),
    ...[...new Set(commits.map((c) => c.lane))].map(readLane),
  ]);
  return { exists, backlog };
}
