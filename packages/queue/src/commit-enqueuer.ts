import type { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import { commitJobOptions, type CommitJobData } from './commit-job.ts';
import { storeLaneCount } from './store-lane-count.ts';
import { createLaneStore, expectLaneCountForStore, type LaneStoreOutcome } from './lane-store.ts';
import { openLaneQueue } from './with-lane-queue.ts';
import { BacklogFullError, QueueUnavailableError } from './queue-errors.ts';
import { waitForReplicas, type ReplicaWait } from './replica-wait.ts';
import { whenFirstConnected, type RedisConnection } from './redis-connection.ts';

export interface EnqueueResult {
  id: string;
  lane: number;
  /**
   * True when a job with this commit id is stored, or was delivered within DEDUP_WINDOW (a
   * retried POST): nothing was added.
   */
  duplicate: boolean;
}

/** Stores accepted commits as jobs in their lane queues. */
export interface CommitEnqueuer {
  /**
   * Resolves once the job is in Redis (or was already there). Rejects with `QueueUnavailableError`
   * when Redis cannot take it now and `BacklogFullError` when its lane is over its limit. After a
   * `BacklogFullError` nothing was stored for this commit; after a `QueueUnavailableError` it may
   * have been (its `storedAs` says so when known: replicas behind, Redis found unsafe after the
   * store; a store timed out or whose reply was lost may still have run): a retry is then
   * answered as a duplicate.
   */
  enqueue(data: CommitJobData): Promise<EnqueueResult>;
  /** Waits for enqueues under way, then closes the lane queues (not the connection). */
  close(): Promise<void>;
}

export interface CommitEnqueuerOptions {
  /** A `producer` connection: fails fast when Redis is away. Owned by the caller. */
  connection: RedisConnection;
  /** BullMQ key prefix. */
  prefix: string;
  /** Most waiting commits one lane may hold before enqueues are refused. */
  maxLaneBacklog: number;
  /** The configured number of lanes, checked against the one recorded in Redis before storing. */
  lanes: number;
  /**
   * Whether the enqueues of one event-loop turn are stored together (one script per lane, see
   * lane-store.ts). Default true; false stores each commit on its own, which only the
   * benchmark wants (to measure what gathering buys).
   */
  gather?: boolean;
  /**
   * Asked before each store, once Redis is connected; a rejection refuses the store's commits
   * (`QueueUnavailableError`, nothing stored). The ingest's check that Redis cannot lose them.
   */
  admit?: () => Promise<void>;
  /**
   * Asked before each store only, once `admit` has passed; a throw refuses the store's commits
   * (`QueueUnavailableError`, nothing stored). The ingest's check that Redis has room left.
   */
  checkRoom?: () => void;
  /**
   * Replicas that must hold each store before its commits are answered (Redis `WAIT`, on the node
   * of each lane that took a store); commits whose node's replicas fall short are refused
   * (`QueueUnavailableError`) though stored: a failover now would lose them. Default: not asked.
   */
  replicas?: ReplicaWait;
}

interface Pending {
  data: CommitJobData;
  resolve: (result: EnqueueResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Enqueues are gathered for one event-loop turn and stored together: one script per lane, all at
 * once, which skips what is stored or delivered already, keeps to the lane's backlog limit and
 * adds the rest (lane-store.ts). Every caller still waits for its own job to be stored.
 */
export function createCommitEnqueuer(options: CommitEnqueuerOptions): CommitEnqueuer {
  const queues = new Map<number, Queue>();
  const laneStore = createLaneStore(options.connection);
  const cluster = options.connection instanceof Cluster;
  const inFlight = new Set<Promise<void>>();
  let pending: Pending[] = [];
  let closed = false;
  const laneCount = storeLaneCount(options);
  /**
   * The last job timestamp given in each lane. A lane's jobs get strictly increasing ones, in the
   * order they are stored, because a re-drive puts a lane's failed commits back in timestamp order
   * (`redrive`): BullMQ's own (the time its job object is built) gives every job of one flush,
   * batch request or replay the same millisecond, and the order of two versions of one key was
   * then left to the failing workers' clocks.
   */
  const lastTimestamp = new Map<number, number>();

  function nextTimestamp(lane: number): number {
    const timestamp = Math.max(Date.now(), (lastTimestamp.get(lane) ?? 0) + 1);
    lastTimestamp.set(lane, timestamp);
    return timestamp;
  }
  /**
   * The wait for Redis's first connection, shared by the stores that start meanwhile: one set of
   * connection listeners instead of one per store (each flush is a store).
   */
  let firstConnection: Promise<void> | undefined;
  /** Each lane's hash slot on a Redis Cluster, once asked (see `waitForReplicas`). */
  const slots = new Map<number, number>();

  function laneQueue(lane: number): Queue {
    let queue = queues.get(lane);
    if (!queue) {
      queue = openLaneQueue(options.connection, options.prefix, lane);
      queues.set(lane, queue);
    }
    return queue;
  }

  /** Drops a lane's queue object after a failure so the next enqueue builds a fresh one. */
  function forget(lane: number): void {
    const queue = queues.get(lane);
    if (!queue) return;
    queues.delete(lane);
    queue.close().catch(() => undefined);
  }

  async function store(batch: Pending[]): Promise<void> {
    // A commit posted twice in one turn is stored once; the later ones are duplicates of it.
    const first = new Map<string, Pending>();
    const repeats: Pending[] = [];
    for (const p of batch) {
      if (first.has(p.data.id)) repeats.push(p);
      else first.set(p.data.id, p);
    }
    const unique = [...first.values()];
    const settled = new Map<string, { result: EnqueueResult } | { error: unknown }>();
    /** Stored (or found stored), answered once Redis is still known to keep them (below). */
    const stored: { p: Pending; result: EnqueueResult }[] = [];
    const succeed = (p: Pending, duplicate: boolean): void => {
      stored.push({ p, result: { id: p.data.id, lane: p.data.lane, duplicate } });
    };
    const fail = (p: Pending, error: unknown): void => {
      settled.set(p.data.id, { error });
      p.reject(error);
    };

    let ready = false;
    try {
      firstConnection ??= whenFirstConnected(options.connection, 2000).finally(() => {
        firstConnection = undefined;
      });
      await firstConnection;
      await options.admit?.();
      options.checkRoom?.();
      await laneCount.agree();
      // On one Redis, each lane's script reads the count as it stores (lane-store.ts). A Redis
      // Cluster keeps the count on another node than the lanes: read before, and after (below).
      if (cluster) await expectLaneCountForStore(options.connection, options.prefix, options.lanes);
      ready = true;
    } catch (error) {
      for (const p of unique) fail(p, new QueueUnavailableError(error));
    }

    if (ready) {
      const byLane = new Map<number, Pending[]>();
      for (const p of unique) {
        const lanePending = byLane.get(p.data.lane) ?? [];
        lanePending.push(p);
        byLane.set(p.data.lane, lanePending);
      }
      await Promise.all(
        [...byLane].map(async ([lane, lanePending]) => {
          const jobs = lanePending.map((p) => ({
            data: p.data,
            opts: { ...commitJobOptions(p.data.id), timestamp: nextTimestamp(lane) },
          }));
          let outcomes: LaneStoreOutcome[];
          try {
            outcomes = await laneStore.store(laneQueue(lane), jobs, {
              prefix: options.prefix,
              maxLaneBacklog: options.maxLaneBacklog,
              expectLanes: cluster ? undefined : options.lanes,
            });
          } catch (error) {
            // A lane's queue object that could not be built, say: its commits refused, the
            // other lanes' answered as they went.
            outcomes = jobs.map(() => ({ kind: 'refused', error }));
          }
          if (outcomes.some((o) => o.kind === 'refused')) forget(lane);
          lanePending.forEach((p, i) => {
            const outcome = outcomes[i];
            if (outcome?.kind === 'added') succeed(p, false);
            else if (outcome?.kind === 'duplicate') succeed(p, true);
            else if (outcome?.kind === 'full') {
              fail(p, new BacklogFullError(lane, outcome.backlog, options.maxLaneBacklog));
            } else fail(p, new QueueUnavailableError(outcome?.error));
          });
        }),
      );
    }

    // Every lane that holds a commit of this store, stored now or before (a retry of a commit
    // refused for its replicas finds it stored), waits for its node's replicas.
    let behind = new Map<number, unknown>();
    if (options.replicas && stored.length > 0) {
      const lanes = [...new Set(stored.map(({ p }) => p.data.lane))];
      behind = await waitForReplicas(
        options.connection,
        options.prefix,
        lanes,
        options.replicas,
        slots,
      ).catch((error: unknown) => new Map(lanes.map((lane) => [lane, error])));
    }

    // Asked again once Redis has answered. A connection that drops while a store is under way is
    // ready again before its new server's settings have been read, and ioredis sends what was
    // in flight to that server at once: after a failover, the store may sit in a Redis that
    // cannot keep it, which the reading then under way tells (admit waits for it).
    //
    // On a Redis Cluster, the lane count read again after the adds (Redis runs it after them): a
    // store that stalled past a change's 3 s wait (lane-count.ts) between its reading and its
    // adds may have added under a count that changed, or is changing, meanwhile, in a lane no
    // worker reads any more. Such a store is answered 503, and the retry files the commit under
    // the count then recorded. (On one Redis the reading and the adds are one script.)
    let unsafe: unknown;
    if (stored.length > 0) {
      await Promise.all([
        options.admit?.().catch((error: unknown) => (unsafe ??= error)),
        cluster
          ? expectLaneCountForStore(options.connection, options.prefix, options.lanes).catch(
              (error: unknown) => (unsafe ??= error),
            )
          : undefined,
      ]);
    }
    for (const { p, result } of stored) {
      const refusal = unsafe ?? behind.get(p.data.lane);
      if (refusal === undefined) {
        settled.set(p.data.id, { result });
        p.resolve(result);
      } else {
        fail(p, new QueueUnavailableError(refusal, result));
      }
    }

    for (const p of repeats) {
      const outcome = settled.get(p.data.id);
      if (outcome && 'result' in outcome) p.resolve({ ...outcome.result, duplicate: true });
      else
        p.reject(
          asRepeat(outcome?.error ?? new QueueUnavailableError(new Error('commit not stored'))),
        );
    }
  }

  /** A repeat's refusal: the commit it repeats was stored as new, if at all, not it. */
  function asRepeat(error: unknown): unknown {
    return error instanceof QueueUnavailableError && error.storedAs
      ? new QueueUnavailableError(error.cause, { ...error.storedAs, duplicate: true })
      : error;
  }

  function flush(): void {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const running = store(batch).finally(() => inFlight.delete(running));
    inFlight.add(running);
  }

  return {
    enqueue(data) {
      if (closed) return Promise.reject(new QueueUnavailableError(new Error('enqueuer is closed')));
      return new Promise<EnqueueResult>((resolve, reject) => {
        if (options.gather === false) {
          pending.push({ data, resolve, reject });
          flush();
          return;
        }
        if (pending.length === 0) setImmediate(flush);
        pending.push({ data, resolve, reject });
      });
    },
    async close() {
      closed = true;
      flush();
      await Promise.allSettled([...inFlight]);
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      queues.clear();
    },
  };
}
