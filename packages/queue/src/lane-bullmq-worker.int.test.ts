// A completion that Redis refuses with an error reply (BUSY, TRYAGAIN in a failover) must not fail
// a commit Kafka already has: BullMQ's own worker failed it for good.
import { createTestQueuePrefix, waitFor, type TestQueuePrefix } from '@commitlog/testkit';
import { Queue, type Job, type JobProgress } from 'bullmq';
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
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await space.cleanup();
  });

  it('leaves the job active (to come back when its lock lapses), never failed', async () => {
    const connection = createRedisConnection({
      url: space.redisUrl,
      role: 'worker',
      onError: () => undefined,
    });
    const queue = new Queue<CommitJobData>('lane', { connection, prefix: space.prefix });
    closers.push(() => connection.quit());
    closers.push(() => queue.close());
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
});
