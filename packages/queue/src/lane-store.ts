import type { JobsOptions, Queue } from 'bullmq';
import type { CommitJobData } from './commit-job.ts';
import { laneChangeKey, LaneCountChangingError } from './lane-change-fence.ts';
import { laneCountKey, LaneCountMismatchError, readLaneCountForStore } from './lane-count.ts';
import { bullmqScript } from './bullmq-script-source.ts';
import { luaScript, type LuaScript } from './lua-script.ts';
import { bullmqAdd, storeScriptSource } from './lane-store-script.ts';
import type { RedisConnection } from './redis-connection.ts';

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

/** Stores lanes' shares of stores (`store`), building its script once per BullMQ add script. */
export function createLaneStore(connection: RedisConnection) {
  let script: { source: string; lua: LuaScript } | undefined;
  /** The wait for BullMQ to define its scripts on the connection, kept once it succeeded. */
  let defined: Promise<void> | undefined;
  /**
   * The lanes (key prefixes) whose Redis node has run the script on this connection: sent to by
   * its SHA-1. Every other lane's next script goes in full (EVAL): each lane's first, and every
   * lane's first after a NOSCRIPT or a new socket (a Redis restarted, or failed over, has lost
   * its scripts; a Redis Cluster loads one node at a time). A script is never sent again after
   * NOSCRIPT, which would run it after stores sent later: its commits are refused instead, and
   * the hook's retry stores them.
   */
  const knownTo = new Set<string>();
  /** The socket `knownTo` was learnt on (one Redis; a Redis Cluster's nodes have their own). */
  let socket: unknown;

  function knows(lane: string): boolean {
    const current = (connection as unknown as { stream?: unknown }).stream;
    if (current !== socket) {
      socket = current;
      knownTo.clear();
    }
    return knownTo.has(lane);
  }
  /** Per lane (its key prefix), until when the store before the latest one is still sending. */
  const sending = new Map<string, Promise<void>>();

  /**
   * Waits until BullMQ has defined its scripts on the connection, which it does as its first
   * queue there gets ready. Every store waits for the same promise, and so resumes in the order
   * it started: one that went ahead (BullMQ defines its scripts before its queue is ready) would
   * store its commits before those of a store that began before it. A queue of a lane built again
   * while Redis is away does not wait: the promise is kept once it succeeded.
   */
  function scriptsDefined(queue: Queue): Promise<void> {
    defined ??= waitForDefinitions(queue).catch((error: unknown) => {
      defined = undefined;
      throw error;
    });
    return defined;
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
    } finally {
      clearTimeout(timer);
    }
  }

  function storeScript(name: string): LuaScript {
    const source = bullmqScript(connection, name).lua;
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
    const lua = storeScript(add.script);
    const lane = queue.toKey('');
    const inFull = !knows(lane);
    const scriptKeys =
      expect === undefined
        ? keys
        : [...keys, laneCountKey(options.prefix), laneChangeKey(options.prefix)];
    const args = [
      lane,
      options.maxLaneBacklog,
      expect === undefined ? '' : String(expect),
      ...(chunk.flatMap((job) => [job.id, ...job.args]) as (string | number)[]),
    ];
    const sent = inFull
      ? lua.runInOrder(connection, scriptKeys, args)
      : lua.runIfLoaded(connection, scriptKeys, args);
    const reply = (await sent.then(
      (answer) => {
        knownTo.add(lane);
        return answer;
      },
      (error: unknown) => {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) knownTo.clear();
        throw error;
      },
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
   * Stores `jobs` in `queue`'s lane, in order, after the lane's stores called before it: each
   * added unless it is stored or delivered already, or the lane has no room left for it. At most
   * `STORE_CHUNK` commits a script, so that a large batch does not hold Redis for one long
   * script; each script is sent once the one before it stored its share whole, and a share
   * refused, or short of room, refuses every later one: a later script that found room (a worker
   * took jobs meanwhile) would put its commits ahead of the refused ones, which come back later.
   */
  async function store(
    queue: Queue,
    jobs: readonly LaneStoreJob[],
    options: LaneStoreOptions,
  ): Promise<LaneStoreOutcome[]> {
    // Taken in the order stores are called: a lane's store sends its first script only once the
    // one before it has sent its last, which keeps a later store out of an earlier one's scripts.
    const lane = queue.toKey('');
    const before = sending.get(lane);
    let sent!: () => void;
    const mine = new Promise<void>((resolve) => (sent = resolve));
    sending.set(lane, mine);
    try {
      await before;
      return await storeInOrder(queue, jobs, options, sent);
    } finally {
      sent();
      if (sending.get(lane) === mine) sending.delete(lane);
    }
  }

  async function storeInOrder(
    queue: Queue,
    jobs: readonly LaneStoreJob[],
    options: LaneStoreOptions,
    sentLast: () => void,
  ): Promise<LaneStoreOutcome[]> {
    let add: { script: string; keys: string[] } | undefined;
    const chunks: { id: string; args: unknown[] }[][] = [];
    try {
      await scriptsDefined(queue);
      for (const [i, job] of jobs.entries()) {
        const { script, args } = bullmqAdd(queue, job);
        add ??= { script, keys: args.slice(0, 9) as string[] };
        if (i % STORE_CHUNK === 0) chunks.push([]);
        chunks.at(-1)!.push({ id: job.opts.jobId, args: args.slice(9) });
      }
    } catch (error) {
      return jobs.map(() => ({ kind: 'refused', error }));
    }
    const outcomes: LaneStoreOutcome[] = [];
    if (add === undefined) return outcomes;
    let stop: LaneStoreOutcome | undefined;
    for (const [i, chunk] of chunks.entries()) {
      if (stop !== undefined) {
        const refusal = stop;
        outcomes.push(...chunk.map(() => refusal));
        continue;
      }
      const answer = storeChunk(queue, add, chunk, options);
      // Written now (storeChunk sends before its first wait): the lane's next store may follow.
      if (i === chunks.length - 1) sentLast();
      const stored = await answer.catch((error: unknown) =>
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
