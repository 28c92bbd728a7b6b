// A completion that Redis refuses with an error reply (BUSY, TRYAGAIN in a failover) must not fail
// a commit Kafka already has: BullMQ's own worker failed it for good. A completion or failure that
// runs twice (sent again after a lost reply) must not leave the next job held by no one, nor must
// a move to active whose reply was lost with its connection.
import { createServer, connect, type Socket } from 'node:net';
import { createTestQueuePrefix, waitFor, type TestQueuePrefix } from '@commitlog/testkit';
import { Queue, UnrecoverableError, type Job, type JobProgress, type Processor } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommitJobData } from './commit-job.ts';
import { LaneBullmqWorker } from './lane-bullmq-worker.ts';
import { createRedisConnection } from './redis-connection.ts';
import { TolerantJob } from './tolerant-job.ts';

/** A job whose first completion Redis answers BUSY (a long script ran meanwhile). */
class BusyOnceJob<
  T = unknown,
  R = unknown,
  N extends string = string,
  P extends JobProgress = JobProgress,
> extends TolerantJob<T, R, N, P> {
  static refused = 0;

  override moveToCompleted(...args: Parameters<TolerantJob<T, R, N, P>['moveToCompleted']>) {
    if (BusyOnceJob.refused === 0) {
      BusyOnceJob.refused++;
      return Promise.reject(new Error('BUSY Redis is busy running a script.'));
    }
    return super.moveToCompleted(...args);
  }
}

/**
 * A job whose first completion or failure runs in Redis twice, the first reply lost: what ioredis
 * does when it sends again, on a new connection, a command whose reply the old one lost.
 */
class RanTwiceJob<
  T = unknown,
  R = unknown,
  N extends string = string,
  P extends JobProgress = JobProgress,
> extends TolerantJob<T, R, N, P> {
  static twice = 0;

  override async moveToCompleted(...args: Parameters<TolerantJob<T, R, N, P>['moveToCompleted']>) {
    if (RanTwiceJob.twice++ === 0) await super.moveToCompleted(...args);
    return super.moveToCompleted(...args);
  }

  override async moveToFailed(...args: Parameters<TolerantJob<T, R, N, P>['moveToFailed']>) {
    if (RanTwiceJob.twice++ === 0) await super.moveToFailed(...args);
    return super.moveToFailed(...args);
  }
}

class RanTwiceWorker extends LaneBullmqWorker {
  protected override get Job(): typeof Job {
    return RanTwiceJob;
  }
}

class BusyOnceWorker extends LaneBullmqWorker {
  protected override get Job(): typeof Job {
    return BusyOnceJob;
  }
}

describe('a lane worker whose completion Redis refuses', () => {
  let space: TestQueuePrefix;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(() => {
    space = createTestQueuePrefix();
    BusyOnceJob.refused = 0;
    RanTwiceJob.twice = 0;
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await space.cleanup();
  });

  /** A connection and the lane's queue on it, both closed after the test. */
  function laneOnRedis() {
    const connection = createRedisConnection({
      url: space.redisUrl,
      role: 'worker',
      onError: () => undefined,
    });
    const queue = new Queue<CommitJobData>('lane', { connection, prefix: space.prefix });
    closers.push(() => connection.quit());
    closers.push(() => queue.close());
    return { connection, queue };
  }

  /**
   * A lane worker whose locks and stall checks are far longer than any wait here, so that only
   * the code under test brings a job back; its errors collected, closed after the test.
   */
  function longLockWorker(
    Kind: typeof LaneBullmqWorker,
    connection: ReturnType<typeof createRedisConnection>,
    processor: Processor<CommitJobData>,
  ) {
    const errors: Error[] = [];
    const worker = new Kind(
      'lane',
      processor,
      {
        connection,
        prefix: space.prefix,
        lockDuration: 120_000,
        stalledInterval: 120_000,
        autorun: true,
      },
      () => undefined,
    );
    worker.on('error', (error) => errors.push(error));
    closers.push(() => worker.close(true));
    return { worker, errors };
  }

  it('leaves the job active (to come back when its lock lapses), never failed', async () => {
    const { connection, queue } = laneOnRedis();
    const errors: Error[] = [];
    let processed = 0;
    const worker = new BusyOnceWorker(
      'lane',
      () => {
        processed++;
        return Promise.resolve();
      },
      { connection, prefix: space.prefix, lockDuration: 60_000, autorun: true },
      () => undefined,
    );
    worker.on('error', (error) => errors.push(error));
    closers.push(() => worker.close(true));
    const job = await queue.add('commit', {} as CommitJobData, { jobId: 'delivered-1' });

    await waitFor(() => errors.length > 0, { description: 'the refused completion said' });
    expect(processed).toBe(1);
    expect(errors[0]?.message).toMatch(/^BUSY/);
    expect(await job.getState()).toBe('active');
  });

  for (const ending of ['completion', 'failure'] as const) {
    it(`puts back the next job a ${ending} run twice took, rather than leave it held by no one until its lock lapses`, async () => {
      const { connection, queue } = laneOnRedis();
      await queue.setGlobalConcurrency(1);
      await queue.add('commit', {} as CommitJobData, { jobId: 'j1', removeOnComplete: true });
      await queue.add('commit', {} as CommitJobData, { jobId: 'j2', removeOnComplete: true });
      const processed: string[] = [];
      const stalled: string[] = [];
      // Only a release brings j2 back.
      const { worker, errors } = longLockWorker(RanTwiceWorker, connection, (job) => {
        processed.push(job.id!);
        if (ending === 'failure' && job.id === 'j1') throw new UnrecoverableError('refused');
        return Promise.resolve();
      });
      worker.on('stalled', (id) => stalled.push(id));

      await waitFor(() => processed.includes('j2'), {
        timeoutMs: 20_000,
        description: "j2 processed after the second run of j1's ending",
      });
      // The second run was refused (the job gone, or its lock), and said so.
      expect(errors.map((e) => e.message).join('\n')).toMatch(/Missing (key|lock)/);
      expect(processed).toEqual(['j1', 'j2']);
      expect(stalled).toEqual([]);
      await waitFor(async () => (await queue.getJobState('j2')) === 'unknown', {
        description: 'j2 completed',
      });
    });
  }

  it("puts back the job a move to active took when the move's reply was lost with its connection", async () => {
    // The worker talks to Redis through a proxy that, once armed, drops the first reply naming
    // the job and closes that connection: ioredis sends the move again on a new one, which finds
    // the job taken (by the first run, under the same token) and takes none.
    const redis = new URL(space.redisUrl);
    let armed = false;
    let dropped = 0;
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const server = connect(Number(redis.port || 6379), redis.hostname);
      for (const socket of [client, server]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('data', (chunk) => server.write(chunk));
      server.on('data', (chunk: Buffer) => {
        if (armed && chunk.includes('orphan-1')) {
          armed = false;
          dropped++;
          client.destroy();
          server.destroy();
          return;
        }
        client.write(chunk);
      });
      client.on('close', () => server.destroy());
      server.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          proxy.close(() => resolve());
        }),
    );
    const proxied = new URL(space.redisUrl);
    proxied.host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const viaProxy = createRedisConnection({
      url: proxied.toString(),
      role: 'worker',
      onError: () => undefined,
    });
    closers.push(() => viaProxy.quit().catch(() => viaProxy.disconnect()));
    const { queue } = laneOnRedis();
    await queue.setGlobalConcurrency(1);
    const processed: string[] = [];
    const stalled: string[] = [];
    const { worker } = longLockWorker(LaneBullmqWorker, viaProxy, (job) => {
      processed.push(job.id!);
      return Promise.resolve();
    });
    worker.on('stalled', (id) => stalled.push(id));
    await worker.waitUntilReady();

    armed = true;
    await queue.add('commit', {} as CommitJobData, { jobId: 'orphan-1', removeOnComplete: true });

    // Without the release, the job would sit active, held by no one, until its lock lapsed (120 s).
    await waitFor(() => processed.includes('orphan-1'), {
      timeoutMs: 20_000,
      description: 'orphan-1 processed after its move lost its reply',
    });
    expect(dropped).toBe(1);
    expect(processed).toEqual(['orphan-1']);
    expect(stalled).toEqual([]);
  });

  it('takes again, in its turn, a job whose options and progress in Redis are not JSON, its commit kept', async () => {
    const { connection, queue } = laneOnRedis();
    await queue.setGlobalConcurrency(1);
    const data = { id: 'j1' } as CommitJobData;
    // j0 first: its completion takes j1 (BullMQ's fetch of the next job), as in a busy lane.
    await queue.add('commit', {} as CommitJobData, { jobId: 'j0', removeOnComplete: true });
    await queue.add('commit', data, { jobId: 'j1', removeOnComplete: true, attempts: 1 });
    await queue.add('commit', {} as CommitJobData, { jobId: 'j2', removeOnComplete: true });
    // A hand edit: BullMQ parses these as it hands the job over, before the data.
    // Options that parse to null (BullMQ lists their entries: a TypeError), progress that does not parse.
    await connection.hset(queue.toKey('j1'), 'opts', 'null', 'progress', '{oops');
    const processed: { id: string; data: unknown }[] = [];
    // Without the repair, j1 would sit taken and unprocessed, and j2 behind it.
    const { errors } = longLockWorker(LaneBullmqWorker, connection, (job) => {
      processed.push({ id: job.id!, data: job.data });
      return Promise.resolve();
    });

    await waitFor(() => processed.length === 3, {
      timeoutMs: 20_000,
      description: 'j0, j1 then j2 processed',
    });
    expect(processed).toEqual([
      { id: 'j0', data: {} },
      { id: 'j1', data },
      { id: 'j2', data: {} },
    ]);
    expect(errors.map((e) => e.message)).toContain(
      "job j1's opts, progress in Redis did not parse as JSON (a hand edit?): set again to defaults, its commit kept, and the job taken again",
    );
    // Its options again those of a commit job: removed once completed, as every other.
    await waitFor(async () => (await queue.getJobState('j1')) === 'unknown', {
      description: 'j1 completed and removed',
    });
  });
});
