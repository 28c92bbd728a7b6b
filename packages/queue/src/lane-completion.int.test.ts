// What a lane's next job starts with, on the pinned BullMQ and the real Redis (lane-prefetch.ts):
// a busy lane's next job starts with what the completion read, and a job that finds its lane
// idle with what was read right before its move to active (neither with a follower read of its
// own); and a delivery that leaves its lane empty drops BullMQ's wake-up marker, so a commit
// that finds its lane idle costs the worker one wait and one move to active, not two of each.
import { laneCommit, openLaneSpace, type LaneSpace } from '../test/lane-space.ts';
import { monitorRedis } from '../test/redis-monitor.ts';
import { waitFor } from '@commitlog/testkit';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveredMarkKey } from './delivered-marks.ts';
import { readLaneHead } from './lane-followers.ts';
import { laneQueueName } from './lane-queue-name.ts';
import type { LaneJob, LaneOutcome } from './lane-job.ts';

const job = (n: number) => laneCommit(2, n);

describe("what a lane's next job starts with, and its wake-up marker, on the real Redis", () => {
  let lanes: LaneSpace;
  let queue: Queue;
  /** How many times the lane's followers were read on their own (READ_FOLLOWERS). */
  let ownReads: number;
  /** How many times the lane's head was read before a move to active (READ_HEAD). */
  let headReads: number;
  /** The worker's waits for the lane's marker (BZPOPMIN), as Redis saw them issued. */
  let waits: number;

  beforeEach(async () => {
    lanes = openLaneSpace();
    queue = new Queue(laneQueueName(2), { connection: lanes.producer, prefix: lanes.space.prefix });
    lanes.onClose(() => queue.close());
    ownReads = 0;
    headReads = 0;
    waits = 0;
    const wait = queue.toKey('wait');
    const marker = queue.toKey('marker');
    const monitor = await monitorRedis(lanes.space.redisUrl, (args) => {
      const [command, first, keys, key] = args;
      const name = command?.toUpperCase();
      // READ_FOLLOWERS is the only script with the wait list as its one key; READ_HEAD has it
      // first of three.
      if ((name === 'EVALSHA' || name === 'EVAL') && key === wait) {
        if (keys === '1') ownReads++;
        if (keys === '3') headReads++;
      }
      if (name === 'BZPOPMIN' && first === marker) waits++;
    });
    lanes.onClose(() => Promise.resolve(monitor.stop()));
  });

  afterEach(async () => {
    await lanes.close();
  });

  /** Lane 2's worker, handing at most two followers; what each delivery was handed. */
  async function deliver(
    onJob: (j: LaneJob) => Promise<void> = () => Promise.resolve(),
    onError?: (event: { lane: number; error: Error }) => void,
    idleWaitSeconds?: number,
  ): Promise<string[][]> {
    const calls: string[][] = [];
    await lanes.startWorkers(
      [2],
      async (j: LaneJob): Promise<LaneOutcome> => {
        await onJob(j);
        calls.push([j.id, ...j.followers.map((f) => f.id)]);
        return { kind: 'delivered', followers: j.followers.length };
      },
      { maxJobs: 2, maxBytes: 1024 * 1024 },
      onError,
      idleWaitSeconds,
    );
    return calls;
  }

  it("starts a busy lane's next job with what the completion read: no read of its own", async () => {
    for (let n = 0; n < 12; n++) await lanes.enqueuer.enqueue(job(n));
    const calls = await deliver();
    await waitFor(() => calls.flat().length === 12, { description: 'every job handed' });
    expect(calls).toEqual([
      ['c-2-0', 'c-2-1', 'c-2-2'],
      ['c-2-3', 'c-2-4', 'c-2-5'],
      ['c-2-6', 'c-2-7', 'c-2-8'],
      ['c-2-9', 'c-2-10', 'c-2-11'],
    ]);
    // The first job was read with the move to active that took it; each later one, with its
    // followers, by the completion that handed it on.
    expect(ownReads).toBe(0);
    expect(headReads).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await queue.getJobCounts('wait', 'active')).active === 0);
    expect(await queue.getJobCounts('wait', 'failed')).toEqual({ wait: 0, failed: 0 });
  });

  it('starts a job that finds its lane idle with what was read right before its move to active', async () => {
    const calls = await deliver();
    await lanes.enqueuer.enqueue(job(0));
    await waitFor(() => calls.length === 1);
    await waitFor(async () => (await queue.getJob('c-2-0')) === undefined);
    await lanes.enqueuer.enqueue(job(1));
    await waitFor(() => calls.length === 2);
    expect(calls).toEqual([['c-2-0'], ['c-2-1']]);
    expect(ownReads).toBe(0);
    expect(headReads).toBeGreaterThanOrEqual(2);
  });

  it('reads anew a job that the completion prefetched but did not hand on, recorded meanwhile', async () => {
    const keys = { key: (name: string) => queue.toKey(name) };
    // c-2-1 arrives while c-2-0, read alone, is being delivered, and the lane is paused: c-2-0's
    // completion prefetches c-2-1 (not recorded) but hands nothing on. Meanwhile c-2-1's delivery
    // is recorded (as another worker would, had it delivered it); taken later by the main
    // loop, c-2-1 must be read anew (before that move to active), and completed unproduced.
    const calls = await deliver(async (j) => {
      if (j.id !== 'c-2-0') return;
      await lanes.enqueuer.enqueue(job(1));
      await queue.pause();
    });
    await lanes.enqueuer.enqueue(job(0));
    await waitFor(async () => (await queue.getJob('c-2-0')) === undefined);
    await lanes.producer.set(deliveredMarkKey(keys, 'c-2-1'), '2', 'PX', 60_000);
    await queue.resume();
    await waitFor(async () => (await queue.getJob('c-2-1')) === undefined, {
      description: 'c-2-1 completed',
    });
    expect(calls).toEqual([['c-2-0']]);
    expect(ownReads).toBe(0);
  });

  it('hands a retried job the followers its move to active read, without a read of its own', async () => {
    const calls: string[][] = [];
    await lanes.startWorkers(
      [2],
      async (j: LaneJob): Promise<LaneOutcome> => {
        calls.push([j.id, ...j.followers.map((f) => f.id)]);
        if (calls.length > 1) return { kind: 'delivered', followers: 0 };
        // Two commits arrive during the first try, which fails: the retry's move to active
        // reads them as its followers (a retry takes along only newer versions of its own
        // object among them: deliver-commit.ts).
        for (let n = 1; n <= 2; n++) await lanes.enqueuer.enqueue(job(n));
        const now = Date.now();
        const progress = { attempt: 1, lastError: 'down', nextTryAt: now + 50, heldSince: now };
        return { kind: 'retry', delayMs: 50, progress };
      },
      { maxJobs: 2, maxBytes: 1024 * 1024 },
    );
    await lanes.enqueuer.enqueue(job(0));
    await waitFor(() => calls.flat().includes('c-2-2') && calls.length === 4, {
      description: 'c-2-2 delivered',
    });
    expect(calls).toEqual([['c-2-0'], ['c-2-0', 'c-2-1', 'c-2-2'], ['c-2-1', 'c-2-2'], ['c-2-2']]);
    expect(ownReads).toBe(0);
    expect(headReads).toBeGreaterThanOrEqual(2);
  });

  it('reads nothing with a move to active that would take nothing: the lane busy or paused', async () => {
    const limits = { maxJobs: 2, maxBytes: 1024 * 1024 };
    // Lane 3 has no worker: two commits wait, the first with the second as its follower.
    const lane3 = new Queue(laneQueueName(3), {
      connection: lanes.producer,
      prefix: lanes.space.prefix,
    });
    lanes.onClose(() => lane3.close());
    const keys3 = { key: (name: string) => lane3.toKey(name) };
    for (let n = 0; n < 2; n++) await lanes.enqueuer.enqueue(laneCommit(3, n));
    const head = await readLaneHead(lanes.producer, keys3, limits);
    expect([head?.jobId, ...(head?.start.followers ?? []).map((f) => f.id)]).toEqual([
      'c-3-0',
      'c-3-1',
    ]);
    await lane3.pause();
    expect(await readLaneHead(lanes.producer, keys3, limits)).toBeUndefined();
    // Lane 2 is busy: its worker holds c-2-0 while c-2-1 waits.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let busy = false;
    const calls = await deliver(async (j) => {
      if (j.id !== 'c-2-0') return;
      busy = true;
      await held;
    });
    await lanes.enqueuer.enqueue(job(0));
    await waitFor(() => busy);
    await lanes.enqueuer.enqueue(job(1));
    const keys2 = { key: (name: string) => queue.toKey(name) };
    try {
      expect(await readLaneHead(lanes.producer, keys2, limits)).toBeUndefined();
    } finally {
      release();
    }
    await waitFor(() => calls.flat().length === 2);
  });

  it('records the delivery even when its prefetch fails, and the next job reads on its own', async () => {
    const keys = { key: (name: string) => queue.toKey(name) };
    const errors: string[] = [];
    // c-2-1 arrives while c-2-0, read alone, is being delivered; then its mark turns into a key of
    // the wrong type, which fails the completion's prefetch (WRONGTYPE), as a Redis error would.
    const calls = await deliver(
      async (j) => {
        if (j.id !== 'c-2-0') return;
        await lanes.enqueuer.enqueue(job(1));
        await lanes.producer.hset(deliveredMarkKey(keys, 'c-2-1'), 'x', '1');
      },
      ({ error }) => errors.push(error.message),
    );
    await lanes.enqueuer.enqueue(job(0));
    await waitFor(() => calls.length === 1);
    await waitFor(() => errors.some((e) => e.includes('WRONGTYPE')), {
      description: "c-2-1's own read failing",
    });
    expect(await lanes.producer.get(deliveredMarkKey(keys, 'c-2-0'))).toBe('2');
    expect(errors.filter((e) => e.includes('could not be recorded'))).toEqual([]);
    await lanes.producer.del(deliveredMarkKey(keys, 'c-2-1'));
    await waitFor(() => calls.length === 2, { description: 'c-2-1 delivered once readable' });
    expect(calls).toEqual([['c-2-0'], ['c-2-1']]);
  });

  it('costs a commit that finds its lane idle one wait, and each one stored later still wakes it', async () => {
    // An idle worker looks by itself only after 10 minutes here: a commit stored with no
    // wake-up would wait past this test's time.
    const calls = await deliver(undefined, undefined, 600);
    const commits = 10;
    for (let n = 0; n < commits; n++) {
      await lanes.enqueuer.enqueue(job(n));
      await waitFor(async () => (await queue.getJob(`c-2-${n}`)) === undefined, {
        description: `c-2-${n} delivered, woken by its store`,
        timeoutMs: 30_000,
      });
    }
    expect(calls).toEqual(Array.from({ length: commits }, (_, n) => [`c-2-${n}`]));
    // One wait per commit, and the first; with the marker left, two per commit (the second
    // woken at once by it, for a move to active that finds nothing).
    expect(waits).toBeLessThanOrEqual(commits + 2);
  });
});
