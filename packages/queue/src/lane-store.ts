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

/** How long the first store waits for BullMQ to define its scripts on the connection. */
const SCRIPTS_WAIT_MS = 2000;

/** The part of BullMQ's queue backend (6.7) that builds an add's arguments. */
interface AddBuilder {
  addJobToTransaction(
    client: { runCommand(name: string, args: unknown[]): Promise<unknown> },
    job: unknown,
    jobId: string,
  ): Promise<unknown>;
}

/**
 * BullMQ's add of `job`: the name of the script it runs (with BullMQ's version) and its
 * arguments (9 keys, then 3 values), asked of BullMQ with a client that keeps them instead of
 * sending them, so that the stored job is the one BullMQ would store.
 */
function bullmqAdd(queue: Queue, job: LaneStoreJob): { script: string; args: unknown[] } {
  const bullJob = new Job(queue, 'commit', job.data, job.opts, job.opts.jobId);
  let kept: { script: string; args: unknown[] } | undefined;
  const keeper = {
    runCommand(script: string, args: unknown[]): Promise<unknown> {
      kept = { script, args };
      return Promise.resolve(job.opts.jobId);
    },
  };
  const backend = (queue as unknown as { backend: AddBuilder }).backend;
  void backend.addJobToTransaction(keeper, bullJob.asJSON(), job.opts.jobId).catch(() => undefined);
  if (!kept?.script.startsWith('addStandardJob:') || kept.args.length !== 12) {
    throw new Error("BullMQ's add did not give its standard add script's 12 arguments at once");
  }
  return kept;
}

/** Stores lanes' shares of stores (`store`), building its script once per BullMQ add script. */
export function createLaneStore(connection: RedisConnection) {
  let script: { source: string; lua: LuaScript } | undefined;
  /** Whether BullMQ has defined its scripts on the connection (a queue of it got ready). */
  let defined = false;
  /** The wait for that, shared by every store that starts meanwhile. */
  let defining: Promise<void> | undefined;

  /**
   * Waits until BullMQ has defined its scripts on the connection, which it does as its first
   * queue there gets ready. Every store waits for the same wait, and so resumes in the order it
   * started: one that went ahead (BullMQ defines its scripts before its queue is ready) would
   * store its commits before those of a store that began before it. Not waited for after that:
   * a lane's queue built again while Redis is away would wait for it.
   */
  async function scriptsDefined(queue: Queue): Promise<void> {
    if (defined) return;
    defining ??= waitForDefinitions(queue);
    await defining;
  }

  async function waitForDefinitions(queue: Queue): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        queue.waitUntilReady(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`BullMQ's queue was not ready within ${SCRIPTS_WAIT_MS} ms`)),
            SCRIPTS_WAIT_MS,
          );
        }),
      ]);
      defined = true;
    } finally {
      clearTimeout(timer);
      defining = undefined;
    }
  }

  function storeScript(bullmqScript: string): LuaScript {
    const scripts = (connection as unknown as { scriptsSet?: Record<string, { lua?: string }> })
      .scriptsSet;
    const source = scripts?.[bullmqScript]?.lua;
    if (source === undefined) {
      throw new Error(`BullMQ's script ${bullmqScript} is not defined on the connection`);
    }
    if (script?.source !== source) script = { source, lua: luaScript(storeScriptSource(source)) };
    return script.lua;
  }

  /** One script's worth of a lane's store; `keys` BullMQ's keys for the lane's adds. */
  async function storeChunk(
    queue: Queue,
    add: { script: string; keys: readonly string[] },
    chunk: readonly { id: string; args: unknown[] }[],
    options: LaneStoreOptions,
  ): Promise<LaneStoreOutcome[]> {
    const expect = options.expectLanes;
    const keys = add.keys;
    const reply = (await storeScript(add.script).run(
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
   * already, or the lane has no room left for it. At most `STORE_CHUNK` commits a script, so that
   * a large batch does not hold Redis for one long script; each script is sent once the one
   * before it stored its share whole, and a share refused, or short of room, refuses every
   * later one: a later script that found room (a worker took jobs meanwhile) would put its
   * commits ahead of the refused ones, which come back later.
   */
  async function store(
    queue: Queue,
    jobs: readonly LaneStoreJob[],
    options: LaneStoreOptions,
  ): Promise<LaneStoreOutcome[]> {
    let add: { script: string; keys: string[] } | undefined;
    const chunks: { id: string; args: unknown[] }[][] = [];
    try {
      await scriptsDefined(queue);
      for (const [i, job] of jobs.entries()) {
        const { script, args } = bullmqAdd(queue, job);
        add = { script, keys: args.slice(0, 9) as string[] };
        if (i % STORE_CHUNK === 0) chunks.push([]);
        chunks.at(-1)!.push({ id: job.opts.jobId, args: args.slice(9) });
      }
    } catch (error) {
      return jobs.map(() => ({ kind: 'refused', error }));
    }
    const outcomes: LaneStoreOutcome[] = [];
    let stop: LaneStoreOutcome | undefined;
    for (const chunk of chunks) {
      if (stop !== undefined || add === undefined) {
        const refusal = stop;
        outcomes.push(
          ...chunk.map((): LaneStoreOutcome => refusal ?? { kind: 'refused', error: undefined }),
        );
        continue;
      }
      const stored = await storeChunk(queue, add, chunk, options).catch((error: unknown) =>
        chunk.map((): LaneStoreOutcome => ({ kind: 'refused', error })),
      );
      outcomes.push(...stored);
      stop = stored.find((o) => o.kind === 'full' || o.kind === 'refused');
    }
    return outcomes;
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
