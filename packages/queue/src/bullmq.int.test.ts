import { createTestQueuePrefix, waitFor, type TestQueuePrefix } from '@commitlog/testkit';
import { Queue, Worker, type Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRedisConnection } from './redis-connection.ts';

describe('BullMQ on the real Redis', () => {
  let space: TestQueuePrefix;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(() => {
    space = createTestQueuePrefix();
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await space.cleanup();
  });

  it('adds a job through a producer connection and a worker processes it', async () => {
    const failures: Error[] = [];
    const producer = createRedisConnection({
      url: space.redisUrl,
      role: 'producer',
      onError: (e) => failures.push(e),
    });
    const queue = new Queue('proof', { connection: producer, prefix: space.prefix });
    closers.push(
      () => queue.close(),
      () => producer.quit(),
    );

    const workerConnection = createRedisConnection({
      url: space.redisUrl,
      role: 'worker',
      onError: (e) => failures.push(e),
    });
    closers.push(() => workerConnection.quit());

    const seen: { id: string | undefined; data: unknown }[] = [];
    const worker = new Worker(
      'proof',
      // eslint-disable-next-line @typescript-eslint/require-await -- BullMQ wants a promise
      async (job: Job) => {
        seen.push({ id: job.id, data: job.data });
        return 'done';
      },
      {
        connection: workerConnection,
        prefix: space.prefix,
      },
    );
    closers.push(() => worker.close());

    const job = await queue.add('commit', { key: 'txn-1', n: 1 }, { jobId: 'commit-1' });
    expect(job.id).toBe('commit-1');
    await waitFor(async () => (await queue.getJobState('commit-1')) === 'completed', {
      description: 'the job to complete',
    });
    expect(seen).toEqual([{ id: 'commit-1', data: { key: 'txn-1', n: 1 } }]);
    expect(await job.isCompleted()).toBe(true);
    expect(failures).toEqual([]);
    // The job lives under the test's own prefix, which is what makes clean-up exact.
    expect(await space.redis.exists(`${space.prefix}:proof:commit-1`)).toBe(1);
  });
});
