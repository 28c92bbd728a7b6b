import { Job, type JobsOptions, type Queue } from 'bullmq';
import type { CommitJobData } from './commit-job.ts';
import { DELIVERED_MARK } from './delivered-marks.ts';
import { laneChangeKey, LaneCountChangingError } from './lane-change-fence.ts';
import { laneCountKey, LaneCountMismatchError, readLaneCountForStore } from './lane-count.ts';
import { luaScript, type LuaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * A lane's share of one store, in one script and one round trip: is each commit stored or
 * delivered already, has the lane room, and the adds themselves, by BullMQ's own add script
 * (its source as BullMQ loaded it onto the connection, run as a function inside this one, with
 * the arguments BullMQ builds for it). Apart, these were a look-up and then an add, two round
 * trips each waiting for the other before the commit could reach its lane, with room between
 * them for another ingest's add of the same commit.
 *
 * KEYS[1..9] BullMQ's keys for the add (the lane's wait list first); on one Redis also KEYS[10]
 * the lane count and KEYS[11] its fence (on a Redis Cluster they live on another node and are
 * read apart). ARGV[1] the prefix of the lane's job keys, ARGV[2] most waiting commits,
 * ARGV[3] the count the store expects ('' to read none), then for each commit its id and
 * BullMQ's three arguments. Output: `{ 'lanes', count }` or `{ 'changing', fence }` with
 * nothing stored, else `{ 'stored', backlog, outcome... }` with an outcome per commit.
 * Declared with a shebang so that a Redis at its maxmemory refuses it whole, before it stores
 * any of its commits.
 */
function storeScriptSource(bullmqAdd: string): string {
  return `#!lua
local function bullmqAdd(KEYS, ARGV)
${bullmqAdd}
end
if ARGV[3] ~= '' then
  local fence = redis.call('GET', KEYS[11])
  if fence then return { 'changing', fence } end
  local count = redis.call('GET', KEYS[10])
  if count and count ~= ARGV[3] then return { 'lanes', count } end
end
local addKeys = { KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9] }
local backlog = redis.call('LLEN', KEYS[1])
local room = tonumber(ARGV[2]) - backlog
local out = { 'stored', backlog }
for i = 4, #ARGV, 4 do
  local id = ARGV[i]
  if redis.call('EXISTS', ARGV[1] .. id, ARGV[1] .. '${DELIVERED_MARK}' .. id) > 0 then
    out[#out + 1] = 'duplicate'
  elseif room < 1 then
    out[#out + 1] = 'full'
  else
    local added = bullmqAdd(addKeys, { ARGV[i + 1], ARGV[i + 2], ARGV[i + 3] })
    if type(added) == 'number' and added < 0 then
      return redis.error_reply('BullMQ refused the add of ' .. id .. ': ' .. added)
    end
    room = room - 1
    out[#out + 1] = 'added'
  end
end
return out
`;
}

/** What became of a commit of a lane's store. */
export type LaneStoreOutcome =
  | { kind: 'added' }
  /** Stored, or delivered within DEDUP_WINDOW, already: nothing added. */
  | { kind: 'duplicate' }
  /** Not added: its lane held `backlog` waiting commits, its limit. */
  | { kind: 'full'; backlog: number }
  /** Not added: Redis could not take it, or the lane count differs or is changing. */
  | { kind: 'refused'; error: unknown };

export interface LaneStoreJob {
  data: CommitJobData;
  /** The job's options, `jobId` the commit's id. */
  opts: JobsOptions & { jobId: string };
}

export interface LaneStoreOptions {
  prefix: string;
  maxLaneBacklog: number;
  /** The lane count the store is filed under, read in the script; none on a Redis Cluster. */
  expectLanes: number | undefined;
}

/** Most commits one script stores: 100 adds hold Redis for a few milliseconds. */
const STORE_CHUNK = 100;

/** The part of BullMQ's queue backend (6.7) that builds an add's arguments. */
interface AddBuilder {
  addJobToTransaction(
    client: { runCommand(name: string, args: unknown[]): Promise<unknown> },
    job: unknown,
    jobId: string,
  ): Promise<unknown>;
}

/**
 * BullMQ's arguments for adding `job` (its 9 keys, then 3 values): asked of BullMQ with a client
 * that keeps them instead of sending them, so that the stored job is the one BullMQ would store.
 */
function addArguments(queue: Queue, job: LaneStoreJob): unknown[] {
  const bullJob = new Job(queue, 'commit', job.data, job.opts, job.opts.jobId);
  let args: unknown[] | undefined;
  const keeper = {
    runCommand(name: string, commandArgs: unknown[]): Promise<unknown> {
      if (name.startsWith('addStandardJob:')) args = commandArgs;
      return Promise.resolve(job.opts.jobId);
    },
  };
  const backend = (queue as unknown as { backend: AddBuilder }).backend;
  void backend.addJobToTransaction(keeper, bullJob.asJSON(), job.opts.jobId).catch(() => undefined);
  if (args?.length !== 12) throw new Error("BullMQ's add did not give its 12 arguments at once");
  return args;
}

/** Stores lanes' shares of stores (`store`), building its script once per BullMQ add script. */
export function createLaneStore(connection: RedisConnection) {
  let script: { source: string; lua: LuaScript } | undefined;

  /** BullMQ's add script as BullMQ defined it on the connection, once a queue of it is ready. */
  function bullmqAddSource(): string | undefined {
    const defined = (connection as unknown as { scriptsSet?: Record<string, { lua?: string }> })
      .scriptsSet;
    const name = Object.keys(defined ?? {}).find((n) => n.startsWith('addStandardJob:'));
    return name === undefined ? undefined : defined?.[name]?.lua;
  }

  function storeScript(): LuaScript {
    const source = bullmqAddSource();
    if (source === undefined)
      throw new Error("BullMQ's add script is not loaded on the connection");
    if (script?.source !== source) script = { source, lua: luaScript(storeScriptSource(source)) };
    return script.lua;
  }

  /** One script's worth of a lane's store; `keys` BullMQ's keys for the lane's adds. */
  async function storeChunk(
    queue: Queue,
    keys: readonly string[],
    chunk: readonly { id: string; args: unknown[] }[],
    options: LaneStoreOptions,
  ): Promise<LaneStoreOutcome[]> {
    const expect = options.expectLanes;
    const reply = (await storeScript().run(
      connection,
      expect === undefined
        ? keys
        : [...keys, laneCountKey(options.prefix), laneChangeKey(options.prefix)],
      [
        queue.toKey(''),
        options.maxLaneBacklog,
        expect === undefined ? '' : String(expect),
        ...(chunk.flatMap((job) => [job.id, ...job.args]) as (string | number)[]),
      ],
    )) as unknown[];
    const [kind, value, ...outcomes] = reply;
    if (kind === 'changing') throw new LaneCountChangingError(String(value));
    if (kind === 'lanes') throw new LaneCountMismatchError(expect ?? 0, Number(value));
    if (kind !== 'stored' || outcomes.length !== chunk.length) {
      throw new Error('incomplete store reply');
    }
    // The lane's length as each commit's turn came: the backlog before, and the adds since.
    let backlog = Number(value);
    return outcomes.map((outcome): LaneStoreOutcome => {
      if (outcome === 'duplicate') return { kind: 'duplicate' };
      if (outcome !== 'added') return { kind: 'full', backlog };
      backlog++;
      return { kind: 'added' };
    });
  }

  /**
   * Stores `jobs` in `queue`'s lane, in order: each added unless it is stored or delivered
   * already, or the lane has no room left for it. At most `STORE_CHUNK` commits a script, the
   * scripts sent together, so that a large batch does not hold Redis for one long script.
   */
  async function store(
    queue: Queue,
    jobs: readonly LaneStoreJob[],
    options: LaneStoreOptions,
  ): Promise<LaneStoreOutcome[]> {
    let built: { keys: string[]; chunks: { id: string; args: unknown[] }[][] };
    try {
      // BullMQ defines its scripts on the connection as its first queue there gets ready. Not
      // waited for after that: a queue built again while Redis is away would wait for it.
      if (bullmqAddSource() === undefined) await queue.waitUntilReady();
      built = { keys: [], chunks: [] };
      for (const [i, job] of jobs.entries()) {
        const args = addArguments(queue, job);
        built.keys = args.slice(0, 9) as string[];
        if (i % STORE_CHUNK === 0) built.chunks.push([]);
        built.chunks.at(-1)!.push({ id: job.opts.jobId, args: args.slice(9) });
      }
    } catch (error) {
      return jobs.map(() => ({ kind: 'refused', error }));
    }
    // Each chunk's script is written as it is called, in order: Redis runs them in that order.
    const results = await Promise.all(
      built.chunks.map((chunk) =>
        storeChunk(queue, built.keys, chunk, options).catch((error: unknown) =>
          chunk.map((): LaneStoreOutcome => ({ kind: 'refused', error })),
        ),
      ),
    );
    return results.flat();
  }

  return { store };
}

/**
 * Resolves when a store may file commits under `lanes`: the recorded count is `lanes` (or none is
 * recorded yet) and no change is under way (`LaneCountChangingError`), else
 * `LaneCountMismatchError`. For a Redis Cluster, where the store's script cannot read the count.
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
