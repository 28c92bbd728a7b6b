import { Cluster } from 'ioredis';
import type { Queue } from 'bullmq';
import type { CommitJobData } from './commit-job.ts';
import { DELIVERED_MARK } from './delivered-marks.ts';
import { laneChangeKey } from './lane-change-fence.ts';
import {
  LaneCountMismatchError,
  laneCountForStore,
  laneCountKey,
  readLaneCountForStore,
} from './lane-count.ts';
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
  expectLanes(await readLaneCountForStore(connection, prefix), lanes);
}

function expectLanes(recorded: number | undefined, lanes: number): void {
  if (recorded !== undefined && recorded !== lanes) {
    throw new LaneCountMismatchError(lanes, recorded);
  }
}

/**
 * Inputs: KEYS[1] the lane count, KEYS[2] its fence, KEYS[3..] a job that the store added to each
 * of its lanes. Output: `{ 0 }` when one of the jobs is not stored, else `{ 1, count, fence }`
 * (each nil when not set).
 */
const COUNT_AFTER_ADDS = luaScript(`
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then return { 0 } end
end
return { 1, redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]) }
`);

/**
 * `expectLaneCountForStore` for the reading a store makes after its adds, which must run after
 * them in Redis (see commit-enqueuer.ts), sent right behind them instead of after their answers:
 * one round trip less before every 202. On one Redis, the commands of one connection run in the
 * order they were written, so a reading written after the adds runs after them, in the same turn
 * of Redis's event loop when they leave in one write. BullMQ writes an add a few promise
 * continuations after it is called, so the reading waits for those (`setImmediate`) and no
 * longer. It proves its place by finding `addedJobKeys` (a job of each lane the store added to):
 * one missing means an add that was not yet written (a connection not yet ready) or was sent again
 * (NOSCRIPT), or that failed, and then the reading is made again once `adds` have answered, as
 * it is on a Redis Cluster, where the count and the lanes live on nodes whose order no
 * connection keeps.
 *
 * @param adds settles once every add of the store has answered
 */
export async function expectLaneCountAfterAdds(
  connection: RedisConnection,
  prefix: string,
  lanes: number,
  addedJobKeys: readonly string[],
  adds: Promise<unknown>,
): Promise<void> {
  const afterAnswers = async (): Promise<void> => {
    await adds.catch(() => undefined);
    await expectLaneCountForStore(connection, prefix, lanes);
  };
  if (connection instanceof Cluster || addedJobKeys.length === 0) return afterAnswers();
  await new Promise((resolve) => setImmediate(resolve));
  const [found, count, fence] = (await COUNT_AFTER_ADDS.run(
    connection,
    [laneCountKey(prefix), laneChangeKey(prefix), ...addedJobKeys],
    [],
  )) as [number, string | null, string | null];
  if (Number(found) !== 1) return afterAnswers();
  expectLanes(laneCountForStore(count, fence), lanes);
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
