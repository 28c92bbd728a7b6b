import { isNotConnectionError, Worker, type Job, type Processor, type WorkerOptions } from 'bullmq';
import type { CommitJobData } from './commit-job.ts';
import { errorReplyBackoff } from './error-reply-backoff.ts';
import { TolerantJob } from './tolerant-job.ts';
import { repairUnreadableFields } from './unreadable-job-fields.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * A lane's BullMQ worker. Its jobs are read as `TolerantJob`s: BullMQ parses a job's data as it
 * takes the job, and a parse that throws (data not JSON: a hand edit of Redis) leaves the job
 * taken but never processed: it stalls, goes back to the front of its lane, and is taken again,
 * for ever, holding every commit behind it. Read with data that holds no commit, it reaches the
 * delivery code, which fails it (poison) and lets the lane go on; its hash in Redis keeps the
 * data as it is. The other fields BullMQ parses as it takes a job are set again when they do not
 * parse (`moveReadable`).
 *
 * `beforeMove` is called with the token of each move to active right before BullMQ sends it: a
 * command it sends on the worker's connection at once normally reaches Redis just ahead of the
 * move, in the same write (BullMQ awaits its client before sending). The lane workers read the
 * lane's head there (`lane-prefetch.ts`), so that a job that finds its lane idle does not wait
 * for a read of its own before its produce request. What is read is used only for the job it
 * names, so a read that runs after the move (a NOSCRIPT retry; the first move, which waits for
 * BullMQ's client to be ready) is only wasted.
 */
export class LaneBullmqWorker extends Worker<CommitJobData> {
  readonly beforeMove: (token: string) => void;

  constructor(
    name: string,
    processor: Processor<CommitJobData>,
    options: WorkerOptions,
    beforeMove: (token: string) => void,
  ) {
    super(name, processor, options);
    this.beforeMove = beforeMove;
  }

  protected override get Job(): typeof Job {
    return TolerantJob;
  }

  /**
   * BullMQ hands an error of the completion (a Redis error reply: BUSY, TRYAGAIN or CLUSTERDOWN
   * in a failover, a lost lock) to its failure path, which fails the job for good when that
   * write passes: a commit delivered to Kafka then sits among the failed, and a re-drive lands
   * it again after its key's newer versions. Said as an error instead, the job is left active:
   * its lock lapses, the stalled check moves it back to its lane, and it is completed there as
   * recorded (delivered-marks.ts) or, its mark missing too, produced again in order: a duplicate.
   * A lost connection is still BullMQ's to retry.
   */
  protected override async handleCompleted(
    ...args: Parameters<Worker<CommitJobData>['handleCompleted']>
  ): Promise<Job<CommitJobData>> {
    try {
      return await super.handleCompleted(...args);
    } catch (error) {
      if (!(error instanceof Error) || !isNotConnectionError(error)) throw error;
      this.emit('error', error);
      await this.releaseTakenUnder(args[2], args[1].id);
      // No next job from this completion: the worker asks for one as when the lane was idle.
      return undefined as unknown as Job<CommitJobData>;
    }
  }

  /** A failure refused with an error reply releases what it may have taken, as a completion. */
  protected override async handleFailed(
    ...args: Parameters<Worker<CommitJobData>['handleFailed']>
  ): Promise<Job<CommitJobData>> {
    try {
      return await super.handleFailed(...args);
    } catch (error) {
      if (error instanceof Error && isNotConnectionError(error)) {
        await this.releaseTakenUnder(args[2], args[1].id);
      }
      throw error;
    }
  }

  /**
   * Puts back at the front of the lane a job moved to active under `token` that no one holds. A
   * move to active, or a completion (or failure) that takes the lane's next job, can run in Redis
   * twice: ioredis sends again, on its new connection, a command whose reply the old one lost,
   * and BullMQ retries one that failed on the connection. The second run finds the lane busy (a
   * move) or the job gone (an error reply) and returns no next job, while the first moved one to
   * active under the same token: held by no one, it stopped the lane until its lock lapsed
   * (WORKER_LOCK) and the stall check, which counted it as stalled (an alert, a worker said to
   * have died; twice past its TTL, it failed).
   * Moved back with its lock checked, it is taken again at once. Best effort: failing, the stall
   * check still brings it back. The job being completed (`ending`) stays as it is: a completion
   * Redis refused before it ran leaves it active, as said above.
   */
  private async releaseTakenUnder(
    token: string | undefined,
    ending: string | undefined,
  ): Promise<void> {
    if (token === undefined) return;
    try {
      const client = await this.backend.client;
      for (const id of await client.lrange(this.keys.active!, 0, -1)) {
        if (id === ending || (await client.get(`${this.toKey(id)}:lock`)) !== token) continue;
        await this.backend.moveJobFromActiveToWait(id, token);
      }
    } catch (error) {
      this.emit('error', error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Paces a lane whose moves Redis refuses with an error reply (error-reply-backoff.ts). */
  private readonly moveBackoff = errorReplyBackoff(
    (error) => error instanceof Error && isNotConnectionError(error),
  );

  protected override moveToActive(token: string, name?: string): Promise<Job<CommitJobData>> {
    // Unset only while BullMQ's own constructor runs, which moves nothing.
    this.beforeMove?.(token);
    // Unset too while BullMQ's constructor runs (fields are set after super()).
    if (!this.moveBackoff) return super.moveToActive(token, name);
    return this.moveBackoff.run(() => this.moveReadable(token, name));
  }

  /**
   * BullMQ parses a job's options, progress and parent as it hands the job over, after Redis moved
   * it to active under `token`: one that does not parse (a hand edit of Redis) threw there, and
   * the job, never processed, stalled and came back for ever, holding its lane. Its fields are set
   * again (`repairUnreadableFields`, said as an error) and it goes back to the front of its lane,
   * to be taken again at once, in its turn.
   */
  private async moveReadable(token: string, name?: string): Promise<Job<CommitJobData>> {
    const client = await this.backend.client;
    const socket = socketOf(client);
    try {
      const job = await super.moveToActive(token, name);
      // A move whose reply was lost with its connection ran twice: the first took the lane's job
      // under `token`, and the second, sent again by ioredis on the new connection, found the
      // lane busy with it and took none (see `releaseTakenUnder`).
      if (!job && socketOf(client) !== socket) await this.releaseTakenUnder(token, undefined);
      return job;
    } catch (error) {
      // A SyntaxError from JSON.parse, or a TypeError from reading options that parsed to null.
      if (!(error instanceof SyntaxError || error instanceof TypeError)) throw error;
      // Nothing mended (another cause): the error goes on, to BullMQ's pause before the next try.
      if (!(await this.repairTakenUnder(token))) throw error;
      return undefined as unknown as Job<CommitJobData>;
    }
  }

  /** Mends and puts back the jobs taken under `token`; whether it mended any. */
  private async repairTakenUnder(token: string): Promise<boolean> {
    let mended = false;
    try {
      const client = await this.backend.client;
      for (const id of await client.lrange(this.keys.active!, 0, -1)) {
        if ((await client.get(`${this.toKey(id)}:lock`)) !== token) continue;
        // The connection the lane workers gave (lane-workers.ts), for the repair's script.
        const connection = this.opts.connection as RedisConnection;
        const fields = await repairUnreadableFields(connection, this.toKey(id), id, token);
        if (fields.length === 0) continue;
        mended = true;
        this.emit(
          'error',
          new Error(
            `job ${id}'s ${fields.join(', ')} in Redis did not parse as JSON (a hand edit?): set again to defaults, its commit kept, and the job taken again`,
          ),
        );
        await this.backend.moveJobFromActiveToWait(id, token);
      }
    } catch (error) {
      this.emit('error', error instanceof Error ? error : new Error(String(error)));
    }
    return mended;
  }
}

/** The socket a client talks over now: another after a reconnection (none for a Redis Cluster). */
function socketOf(client: unknown): unknown {
  return (client as { stream?: unknown }).stream;
}
