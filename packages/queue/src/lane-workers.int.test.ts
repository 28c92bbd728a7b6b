// Proves, on the pinned BullMQ and the real Redis, the two properties DESIGN.md builds per-key
// order on: setGlobalConcurrency(1) keeps one job of a lane active across workers, and a retry
// (manual rate limit + RateLimitError) puts the job back at the head of its lane and holds the lane
// without holding the others.
import { laneCommit, openLaneSpace, type LaneSpace } from '../test/lane-space.ts';
import { startHangingLaneWorker, waitFor, type TestQueuePrefix } from '@commitlog/testkit';
import { deadlineClock } from '@commitlog/core';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CommitEnqueuer } from './commit-enqueuer.ts';
import { laneQueueName } from './lane-queue-name.ts';
import { openLaneQueue } from './with-lane-queue.ts';
import { UNREADABLE_JOB_DATA } from './tolerant-job.ts';
import { LockLostError } from './queue-errors.ts';
import type { LaneJob, LaneOutcome } from './lane-job.ts';
import { startLaneWorkers } from './lane-workers.ts';
import { createRedisConnection, type RedisConnection } from './redis-connection.ts';

const job = laneCommit;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lane workers on the real Redis', () => {
  let lanesSpace: LaneSpace;
  let space: TestQueuePrefix;
  let producer: RedisConnection;
  let enqueuer: CommitEnqueuer;

  beforeEach(() => {
    lanesSpace = openLaneSpace();
    ({ space, producer, enqueuer } = lanesSpace);
  });

  afterEach(async () => {
    await lanesSpace.close();
  });

  const workers = (lanes: number[], handle: (job: LaneJob) => Promise<LaneOutcome>) =>
    lanesSpace.startWorkers(lanes, handle);

  it('delivers one job of a lane at a time across two workers, in acceptance order', async () => {
    const delivered: string[] = [];
    let active = 0;
    let maxActive = 0;
    const handle = async (j: LaneJob): Promise<LaneOutcome> => {
      active++;
      maxActive = Math.max(maxActive, active);
      await pause(3);
      delivered.push(j.id);
      active--;
      return { kind: 'delivered' };
    };
    await workers([0], handle);
    await workers([0], handle);

    const ids = [];
    for (let n = 0; n < 60; n++) ids.push((await enqueuer.enqueue(job(0, n))).id);
    await waitFor(() => delivered.length === 60, { timeoutMs: 30_000 });
    expect(delivered).toEqual(ids);
    expect(maxActive).toBe(1);
  });

  it('tells each delivery until when its lock holds: four fifths of the lock after taking it', async () => {
    // startWorkers locks jobs for 5 s (test/lane-space.ts). Times on the deadline clock, as
    // lockedUntil is (lane-job.ts).
    const seen: { lockedUntil: number; calledAt: number }[] = [];
    await workers([2], (j) => {
      seen.push({ lockedUntil: j.lockedUntil, calledAt: deadlineClock.now() });
      return Promise.resolve({ kind: 'delivered' });
    });
    const enqueuedAt = deadlineClock.now();
    await enqueuer.enqueue(job(2, 0));
    await waitFor(() => seen.length === 1, { timeoutMs: 10_000 });
    const [{ lockedUntil, calledAt }] = seen as [(typeof seen)[0]];
    // Within a millisecond: BullMQ stamps the take with Date.now(), whole milliseconds.
    expect(lockedUntil).toBeGreaterThanOrEqual(enqueuedAt + 4_000 - 1);
    expect(lockedUntil).toBeLessThanOrEqual(calledAt + 4_000 + 1);
  });

  it('counts the lock from when the job was asked for, however late the answer came', async () => {
    // The answer to BullMQ's take (moveToActive) arrives 1.5 s after it was asked for, as when
    // the process was paused or its link slow: the lock has been running in Redis all along.
    const connection = createRedisConnection({
      url: space.redisUrl,
      role: 'worker',
      onError: () => {},
    });
    lanesSpace.onClose(() => connection.quit());
    const seen: { lockedUntil: number; calledAt: number }[] = [];
    const started = await startLaneWorkers({
      connection,
      prefix: space.prefix,
      lanes: [4],
      workerName: 'slow-take',
      lockDurationMs: 5000,
      dedupWindowMs: 3_600_000,
      handle: (j) => {
        seen.push({ lockedUntil: j.lockedUntil, calledAt: deadlineClock.now() });
        return Promise.resolve({ kind: 'delivered' });
      },
    });
    lanesSpace.onClose(() => started.close());
    const commands = connection as unknown as Record<string, (args: unknown[]) => Promise<unknown>>;
    const take = Object.keys(connection).find((name) => name.startsWith('moveToActive:'));
    if (take === undefined) throw new Error('BullMQ did not define moveToActive on the connection');
    const takeNow = commands[take]!;
    const takes: { askedAt: number; answeredAt: number }[] = [];
    commands[take] = async (args) => {
      const askedAt = deadlineClock.now();
      await pause(1500);
      const answer = await takeNow.call(connection, args);
      takes.push({ askedAt, answeredAt: deadlineClock.now() });
      return answer;
    };
    await enqueuer.enqueue(job(4, 0));
    await waitFor(() => seen.length === 1, { timeoutMs: 10_000 });
    const [{ lockedUntil, calledAt }] = seen as [(typeof seen)[0]];
    // The take that handed the job: the last one answered before its delivery started. BullMQ
    // asks again while a job is in hand, at times in the very millisecond the delivery starts:
    // the last one asked is not always the one that handed it.
    const answered = takes.filter((t) => t.answeredAt <= calledAt);
    const handedBy = answered.reduce((last, t) =>
      t.answeredAt > last.answeredAt ? t : last,
    ).askedAt;
    // Within a millisecond: BullMQ stamps the take with Date.now(), whole milliseconds.
    expect(lockedUntil).toBeLessThanOrEqual(handedBy + 4000 + 1);
  });

  it('holds only the failing lane while it retries, and keeps that lane in order', async () => {
    const delivered: { id: string; at: number }[] = [];
    const tries = new Map<string, number>();
    /** What each try of the retried commit was told of the previous one. */
    const toldAttempt: (number | undefined)[] = [];
    let heldSince = 0;
    const handle = async (j: LaneJob): Promise<LaneOutcome> => {
      await pause(1);
      const attempt = (tries.get(j.id) ?? 0) + 1;
      tries.set(j.id, attempt);
      if (j.id === 'c-0-2') toldAttempt.push(j.retry?.attempt);
      if (j.id === 'c-0-2' && attempt <= 3) {
        heldSince ||= Date.now();
        return {
          kind: 'retry',
          delayMs: 300,
          progress: { attempt, lastError: 'broker down', nextTryAt: Date.now() + 300, heldSince },
        };
      }
      if (j.id === 'c-0-2') {
        // Lane 0 is still held here: lane 1 must get all of its commits through meanwhile (if a
        // held lane held the others, this would wait in vain). Waited for, rather than assumed
        // to fit in three 300 ms backoffs on a loaded machine.
        await waitFor(() => delivered.filter((d) => d.id.startsWith('c-1-')).length === 6, {
          timeoutMs: 30_000,
          description: 'lane 1 delivered while lane 0 is held',
        });
      }
      delivered.push({ id: j.id, at: Date.now() });
      return { kind: 'delivered' };
    };
    await workers([0, 1], handle);

    for (let n = 0; n < 6; n++) await enqueuer.enqueue(job(0, n));
    await waitFor(() => tries.get('c-0-2') === 1, { description: 'the first failure' });
    for (let n = 0; n < 6; n++) await enqueuer.enqueue(job(1, n));

    await waitFor(() => delivered.length === 12, { timeoutMs: 30_000 });
    const lane0 = delivered.filter((d) => d.id.startsWith('c-0-')).map((d) => d.id);
    expect(lane0).toEqual(['c-0-0', 'c-0-1', 'c-0-2', 'c-0-3', 'c-0-4', 'c-0-5']);
    expect(tries.get('c-0-2')).toBe(4);
    expect(toldAttempt).toEqual([undefined, 1, 2, 3]);
    // Lane 1 went on while lane 0 was held: all of it was delivered before the retried commit.
    const retried = delivered.find((d) => d.id === 'c-0-2')!.at;
    const lane1 = delivered.filter((d) => d.id.startsWith('c-1-'));
    expect(lane1).toHaveLength(6);
    expect(lane1.every((d) => d.at < retried)).toBe(true);
  });

  it('holds the lane for the backoff in every worker, not only in the one that failed', async () => {
    const attempts: number[] = [];
    let nextTryAt = 0;
    let done = false;
    const handle = (j: LaneJob): Promise<LaneOutcome> => {
      attempts.push(Date.now());
      if (attempts.length === 1) {
        const now = Date.now();
        nextTryAt = now + 1000;
        return Promise.resolve({
          kind: 'retry',
          delayMs: 1000,
          progress: { attempt: 1, lastError: 'down', nextTryAt, heldSince: now },
        });
      }
      done = j.id === 'c-5-0';
      return Promise.resolve({ kind: 'delivered' });
    };
    // Two workers (two connections, as two processes would have) on the same lane.
    await workers([5], handle);
    await workers([5], handle);
    await enqueuer.enqueue(job(5, 0));
    await waitFor(() => done, { timeoutMs: 20_000 });
    expect(attempts).toHaveLength(2);
    // The other worker did not take the held job before the time its first try set for the
    // next (the hold is set after that time was read, so it cannot end before it).
    expect(attempts[1]).toBeGreaterThanOrEqual(nextTryAt);
  });

  it('writes no retry progress and holds no lane once its lock is another worker’s, and the job is still delivered', async () => {
    const jobKey = `${space.prefix}:${laneQueueName(7)}:c-7-0`;
    const theirs = { attempt: 5, lastError: 'theirs', nextTryAt: 1, heldSince: 1 };
    const errors: Error[] = [];
    const calls: (number | undefined)[] = [];
    await lanesSpace.startWorkers(
      [7],
      async (j) => {
        calls.push(j.retry?.attempt);
        if (calls.length > 1) return { kind: 'delivered' };
        // This attempt outlived its lock: another worker took the job and recorded its own retry.
        await producer.set(`${jobKey}:lock`, 'another-worker', 'PX', 1500);
        await producer.hset(jobKey, 'progress', JSON.stringify(theirs));
        const now = Date.now();
        // A long backoff, which this worker must not hold the lane for: the job is not its own.
        return {
          kind: 'retry',
          delayMs: 60_000,
          progress: {
            attempt: 1,
            lastError: 'SEND_TOO_LATE',
            nextTryAt: now + 60_000,
            heldSince: now,
          },
        };
      },
      undefined,
      ({ error }) => errors.push(error),
    );
    await enqueuer.enqueue(job(7, 0));
    await waitFor(() => errors.some((e) => e instanceof LockLostError), {
      description: 'the lost lock reported',
    });
    expect(JSON.parse((await producer.hget(jobKey, 'progress')) ?? 'null')).toEqual(theirs);
    // Once the other lock lapses, BullMQ moves the job back and it is delivered, not lost, long
    // before the backoff this worker was asked for would have ended.
    await waitFor(() => calls.length === 2, { timeoutMs: 20_000, description: 'the redelivery' });
    expect(calls).toEqual([undefined, 5]);
  });

  it('fails a job for good with its reason when the delivery code says so', async () => {
    await workers([3], () =>
      Promise.resolve({ kind: 'fail', reason: 'expired', message: 'not delivered within 3s' }),
    );
    await enqueuer.enqueue(job(3, 0));
    const queue = new Queue(laneQueueName(3), { connection: producer, prefix: space.prefix });
    lanesSpace.onClose(() => queue.close());
    await waitFor(async () => (await queue.getJobState('c-3-0')) === 'failed');
    const failed = await queue.getJob('c-3-0');
    expect(failed?.failedReason).toBe('expired: not delivered within 3s');
  });

  it('keeps the older failures of its lane when a job fails, even one stored with BullMQ removeOnFail.age', async () => {
    const lane = openLaneQueue(producer, space.prefix, 5);
    lanesSpace.onClose(() => lane.close());
    const failedKey = lane.toKey('failed');
    const failAll = () =>
      Promise.resolve({ kind: 'fail', reason: 'expired', message: 'gone' } as const);
    const stop = await workers([5], failAll);
    await enqueuer.enqueue(job(5, 0));
    await waitFor(async () => (await lane.getJobState('c-5-0')) === 'failed');
    // c-5-0 failed an hour ago, as BullMQ sees it.
    await producer.zadd(failedKey, Date.now() - 3_600_000, 'c-5-0');

    // A job as an ingest stored it before 2026-12-06: kept a minute when failed, and BullMQ
    // applies a failing job's age to the whole lane.
    await stop();
    await enqueuer.enqueue(job(5, 1));
    const opts = JSON.parse((await producer.hget(lane.toKey('c-5-1'), 'opts')) ?? '{}') as object;
    expect(opts).not.toHaveProperty('removeOnFail');
    await producer.hset(
      lane.toKey('c-5-1'),
      'opts',
      JSON.stringify({ ...opts, removeOnFail: { age: 60 } }),
    );
    await enqueuer.enqueue(job(5, 2));
    await workers([5], failAll);
    await waitFor(async () => (await lane.getJobState('c-5-2')) === 'failed', {
      description: 'the two later jobs failed',
    });
    expect(await lane.getJobState('c-5-1')).toBe('failed');
    // The hour-old failure is still there, for the workers' sweep to remove and log.
    expect(await lane.getJobState('c-5-0')).toBe('failed');
    expect(await producer.zscore(failedKey, 'c-5-0')).not.toBeNull();
  });

  it('hands on a job whose data does not parse, without a commit, and the lane goes on', async () => {
    await enqueuer.enqueue(job(4, 0));
    await enqueuer.enqueue(job(4, 1));
    // A hand edit of Redis, before any worker runs: BullMQ cannot parse the first job's data.
    await producer.hset(`${space.prefix}:${laneQueueName(4)}:c-4-0`, 'data', '{"id":"c-4-0","com');
    const seen: { id: string; data: unknown }[] = [];
    await workers([4], (j) => {
      seen.push({ id: j.id, data: j.data });
      return Promise.resolve(
        j.data.commit === undefined
          ? { kind: 'fail', reason: 'poison', message: 'no commit' }
          : { kind: 'delivered' },
      );
    });
    await waitFor(() => seen.length === 2, {
      timeoutMs: 20_000,
      description: 'both jobs handed on',
    });
    expect(seen).toEqual([
      { id: 'c-4-0', data: UNREADABLE_JOB_DATA },
      expect.objectContaining({ id: 'c-4-1' }),
    ]);
    const lane4 = openLaneQueue(producer, space.prefix, 4);
    lanesSpace.onClose(() => lane4.close());
    await waitFor(async () => (await lane4.getJobState('c-4-0')) === 'failed', {
      description: 'the unreadable job failed',
    });
    // Its hash keeps the data as it was, for whoever looks into it.
    expect(await producer.hget(lane4.toKey('c-4-0'), 'data')).toBe('{"id":"c-4-0","com');
  });

  it('reports a stalled job with the name of the worker that was killed holding it', async () => {
    const doomed = startHangingLaneWorker({
      redisUrl: space.redisUrl,
      prefix: space.prefix,
      lane: 9,
      workerName: 'doomed-pod:42',
      lockMs: 1000,
    });
    lanesSpace.onClose(() => doomed.kill());
    await enqueuer.enqueue(job(9, 0));
    await doomed.taken('c-9-0'); // its name as the holder written too
    await doomed.kill();

    const stalls: { lane: number; jobId: string; worker: string | undefined }[] = [];
    const handled: { id: string; stalledCount: number }[] = [];
    const connection = createRedisConnection({
      url: space.redisUrl,
      role: 'worker',
      onError: () => {},
    });
    const watcher = await startLaneWorkers({
      connection,
      prefix: space.prefix,
      lanes: [9],
      workerName: 'watcher',
      lockDurationMs: 1000,
      dedupWindowMs: 3_600_000,
      handle: (taken) => {
        handled.push({ id: taken.id, stalledCount: taken.stalledCount });
        return Promise.resolve({ kind: 'delivered' });
      },
      onStalled: (event) => stalls.push(event),
    });
    lanesSpace.onClose(() => connection.quit());
    lanesSpace.onClose(() => watcher.close());
    await waitFor(() => stalls.length > 0, { timeoutMs: 15_000, description: 'the stall' });
    expect(stalls[0]).toEqual({ lane: 9, jobId: 'c-9-0', worker: 'doomed-pod:42' });
    // The delivery hears that the job stalled: past its TTL it is not tried again
    // (deliver-commit.ts), or a commit that kills its worker every time would hold its lane.
    await waitFor(() => handled.length > 0, { timeoutMs: 15_000, description: 'the job again' });
    expect(handled[0]).toEqual({ id: 'c-9-0', stalledCount: 1 });
  });
});
