import { Queue } from 'bullmq';
import { commitJobOptions, type CommitJobData, type JobRetention } from './commit-job.ts';
import { claimLaneCount, LaneCountMismatchError, readLaneCount } from './lane-count.ts';
import { laneQueueName } from './lane-queue-name.ts';
import { BacklogFullError, QueueUnavailableError } from './queue-errors.ts';
import { whenFirstConnected, type RedisConnection } from './redis-connection.ts';

export interface EnqueueResult {
  id: string;
  lane: number;
  /** True when a job with this commit id was already stored (a retried POST): nothing was added. */
  duplicate: boolean;
}

/** Stores accepted commits as jobs in their lane queues. */
export interface CommitEnqueuer {
  /**
   * Resolves once the job is in Redis (or was already there). Rejects with `QueueUnavailableError`
   * when Redis cannot take it now and `BacklogFullError` when its lane is over its limit; in both
   * cases nothing was stored for this commit.
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
  retention: JobRetention;
  /** Most waiting commits one lane may hold before enqueues are refused. */
  maxLaneBacklog: number;
  /** The configured number of lanes, checked against the one recorded in Redis before storing. */
  lanes: number;
  /**
   * Whether the enqueues of one event-loop turn are stored together (one look-up round trip and
   * one `addBulk` per lane). Default true; false stores each commit on its own, which only the
   * benchmark wants (to measure what gathering buys).
   */
  gather?: boolean;
}

interface Pending {
  data: CommitJobData;
  resolve: (result: EnqueueResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Enqueues are gathered for one event-loop turn and stored together: one round of pipelines (one
 * per lane, all at once) answers "already stored?" and "lane backlog?", then one `addBulk` per
 * lane. Every caller still waits for its own job to be stored.
 */
export function createCommitEnqueuer(options: CommitEnqueuerOptions): CommitEnqueuer {
  const queues = new Map<number, Queue>();
  const inFlight = new Set<Promise<void>>();
  let pending: Pending[] = [];
  let closed = false;
  let laneCountAgreed = false;

  function laneQueue(lane: number): Queue {
    let queue = queues.get(lane);
    if (!queue) {
      queue = new Queue(laneQueueName(lane), {
        connection: options.connection,
        prefix: options.prefix,
      });
      // Errors reach the callers through rejected promises; this keeps the emitter quiet.
      queue.on('error', () => undefined);
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

  /**
   * One pipelined round trip per lane (a Redis Cluster pipeline may only touch one slot, and each
   * lane is one slot), all lanes at once: is each commit already stored, and how long is its
   * lane's backlog. Alongside, the recorded lane count: an ingest left running with an old LANES
   * after another process changed it must refuse (503) rather than file commits in lanes that the
   * workers no longer read, or under a hash that reorders keys.
   */
  async function lookUp(
    batch: Pending[],
  ): Promise<{ exists: boolean[]; backlog: Map<number, number> }> {
    const lanes = [...new Set(batch.map((p) => p.data.lane))];
    const exists = new Array<boolean>(batch.length).fill(false);
    const backlog = new Map<number, number>();
    const readLane = async (lane: number): Promise<void> => {
      const queue = laneQueue(lane);
      const members = batch.flatMap((p, i) => (p.data.lane === lane ? [i] : []));
      const pipeline = options.connection.pipeline();
      for (const i of members) pipeline.exists(queue.toKey(batch[i]?.data.id ?? ''));
      pipeline.llen(queue.toKey('wait'));
      const replies = (await pipeline.exec()) ?? [];
      if (replies.length !== members.length + 1) throw new Error('incomplete pipeline reply');
      const values = replies.map(([error, value]) => {
        if (error) throw error;
        return Number(value);
      });
      members.forEach((i, n) => (exists[i] = values[n] === 1));
      backlog.set(lane, values[members.length] ?? 0);
    };
    const [recorded] = await Promise.all([
      readLaneCount(options.connection, options.prefix),
      ...lanes.map(readLane),
    ]);
    if (recorded !== undefined && recorded !== options.lanes) {
      throw new LaneCountMismatchError(options.lanes, recorded);
    }
    return { exists, backlog };
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
    const succeed = (p: Pending, duplicate: boolean): void => {
      const result = { id: p.data.id, lane: p.data.lane, duplicate };
      settled.set(p.data.id, { result });
      p.resolve(result);
    };
    const fail = (p: Pending, error: unknown): void => {
      settled.set(p.data.id, { error });
      p.reject(error);
    };

    let found: Awaited<ReturnType<typeof lookUp>> | undefined;
    try {
      await whenFirstConnected(options.connection, 2000);
      if (!laneCountAgreed) {
        await claimLaneCount(options.connection, options.prefix, options.lanes);
        laneCountAgreed = true;
      }
      found = await lookUp(unique);
    } catch (error) {
      for (const lane of new Set(unique.map((p) => p.data.lane))) forget(lane);
      for (const p of unique) fail(p, new QueueUnavailableError(error));
    }

    if (found) {
      const byLane = new Map<number, Pending[]>();
      unique.forEach((p, i) => {
        if (found.exists[i]) return succeed(p, true);
        const lanePending = byLane.get(p.data.lane) ?? [];
        lanePending.push(p);
        byLane.set(p.data.lane, lanePending);
      });
      await Promise.all(
        [...byLane].map(async ([lane, lanePending]) => {
          const backlog = found.backlog.get(lane) ?? 0;
          const room = Math.max(0, options.maxLaneBacklog - backlog);
          const admitted = lanePending.slice(0, room);
          for (const p of lanePending.slice(room)) {
            fail(p, new BacklogFullError(lane, backlog, options.maxLaneBacklog));
          }
          if (admitted.length === 0) return;
          try {
            await laneQueue(lane).addBulk(
              admitted.map((p) => ({
                name: 'commit',
                data: p.data,
                opts: commitJobOptions(p.data.id, options.retention),
              })),
            );
            for (const p of admitted) succeed(p, false);
          } catch (error) {
            forget(lane);
            for (const p of admitted) fail(p, new QueueUnavailableError(error));
          }
        }),
      );
    }

    for (const p of repeats) {
      const outcome = settled.get(p.data.id);
      if (outcome && 'result' in outcome) p.resolve({ ...outcome.result, duplicate: true });
      else p.reject(outcome?.error ?? new QueueUnavailableError(new Error('commit not stored')));
    }
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
