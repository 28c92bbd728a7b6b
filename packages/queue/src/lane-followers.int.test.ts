// Followers and delivered marks on the pinned BullMQ and the real Redis: a lane hands its next
// waiting jobs along with the active one, completes only those the delivery code says it
// delivered, keeps lane order across workers, and writes nothing once the active job's lock is no
// longer its own. A delivered job is removed and leaves its mark.
import { laneCommit, openLaneSpace, type LaneSpace } from '../test/lane-space.ts';
import { monitorRedis } from '../test/redis-monitor.ts';
import { waitFor } from '@commitlog/testkit';
import { Queue, Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliveredMarkKey, recordDelivered } from './delivered-marks.ts';
import { METRIC_MINUTES_KEPT, perMinute } from './delivery-rates.ts';
import { readFollowers } from './lane-followers.ts';
import { laneQueueName } from './lane-queue-name.ts';
import type { LaneJob, LaneOutcome } from './lane-job.ts';
import { createRedisConnection } from './redis-connection.ts';

const job = laneCommit;

const FOLLOWERS = { maxJobs: 9, maxBytes: 1024 * 1024 };

describe('lane followers on the real Redis', () => {
  let lanes: LaneSpace;
  let queue: Queue;

  beforeEach(() => {
    lanes = openLaneSpace();
    queue = new Queue(laneQueueName(2), {
      connection: lanes.producer,
      prefix: lanes.space.prefix,
    });
    lanes.onClose(() => queue.close());
  });

  afterEach(async () => {
    await lanes.close();
  });

  /** Starts a worker of lane 2 that delivers each job with all its followers; what it was handed. */
  async function deliverAll(
    onError?: (event: { lane: number; error: Error }) => void,
  ): Promise<string[][]> {
    const calls: string[][] = [];
    await lanes.startWorkers(
      [2],
      (j: LaneJob): Promise<LaneOutcome> => {
        calls.push([j.id, ...j.followers.map((f) => f.id)]);
        return Promise.resolve({ kind: 'delivered', followers: j.followers.length });
      },
      FOLLOWERS,
      onError,
    );
    return calls;
  }

  it('hands the next waiting jobs with the active one and completes them with it', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 25; n++) ids.push((await lanes.enqueuer.enqueue(job(2, n))).id);
    const calls = await deliverAll();
    await waitFor(() => calls.flat().length === 25, { description: 'every job handed' });
    await waitFor(async () => (await queue.getJobCounts('active')).active === 0);
    // Ten at a time (the active job and nine followers), in acceptance order, each once.
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(calls.flat()).toEqual(ids);
    expect(await queue.getJobCounts('wait', 'active', 'failed', 'completed')).toEqual({
      wait: 0,
      active: 0,
      failed: 0,
      completed: 0,
    });
    // Every job, active one or follower, was removed and left a mark that expires.
    for (const id of ids) {
      expect(await queue.getJob(id)).toBeUndefined();
      const mark = deliveredMarkKey({ key: (n) => queue.toKey(n) }, id);
      expect(await lanes.producer.pttl(mark)).toBeGreaterThan(3_500_000);
    }
    // The lane's per-minute metrics count followers too (BullMQ turns the count into points).
    expect(Number(await lanes.producer.hget(queue.toKey('metrics:completed'), 'count'))).toBe(25);
  });

  it('leaves followers the delivery code did not deliver for their own turn', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 12; n++) ids.push((await lanes.enqueuer.enqueue(job(2, n))).id);
    const delivered: string[] = [];
    await lanes.startWorkers(
      [2],
      (j: LaneJob): Promise<LaneOutcome> => {
        // Only the first two followers make it, as when a later one's record is refused.
        const riding = j.followers.slice(0, 2).map((f) => f.id);
        delivered.push(j.id, ...riding);
        return Promise.resolve({ kind: 'delivered', followers: riding.length });
      },
      FOLLOWERS,
    );
    await waitFor(() => delivered.length === 12, { description: 'every commit delivered' });
    expect(delivered).toEqual(ids);
    await waitFor(async () => (await queue.getJobCounts('wait', 'active')).active === 0);
    expect(await queue.getJobCounts('wait')).toEqual({ wait: 0 });
  });

  it('hands newer versions of the active job’s object along as followers too', async () => {
    await lanes.enqueuer.enqueue(job(2, 0, 'same'));
    await lanes.enqueuer.enqueue(job(2, 1));
    await lanes.enqueuer.enqueue(job(2, 2, 'same'));
    await lanes.enqueuer.enqueue(job(2, 3));
    const calls = await deliverAll();
    await waitFor(() => calls.flat().length === 4);
    expect(calls).toEqual([['c-2-0', 'c-2-1', 'c-2-2', 'c-2-3']]);
  });

  it('completes without producing again a job whose delivery was recorded before it came back', async () => {
    // Followers are completed just before the active job. A worker that died between the two
    // leaves the job to come back; produced again, it would land after the newer versions of
    // its object among its followers. Its mark says it was recorded: it is only completed.
    await lanes.enqueuer.enqueue(job(2, 0, 'same'));
    await lanes.enqueuer.enqueue(job(2, 1, 'same'));
    const keys = { key: (name: string) => queue.toKey(name) };
    await lanes.producer.set(deliveredMarkKey(keys, 'c-2-0'), '2', 'PX', 60_000);
    const calls = await deliverAll();
    await waitFor(() => calls.flat().length === 1);
    await waitFor(async () => (await queue.getJob('c-2-0')) === undefined);
    expect(calls).toEqual([['c-2-1']]);
    await waitFor(async () => (await lanes.producer.get(deliveredMarkKey(keys, 'c-2-1'))) === '2');
  });

  it("counts followers in the minute they were delivered, not the lane's previous active one", async () => {
    for (let n = 0; n < 4; n++) await lanes.enqueuer.enqueue(job(2, n));
    const now = Date.now();
    const minute = Math.floor(now / 60_000);
    // The lane last completed jobs five minutes ago: three of them, counted but not yet a point.
    const metrics = queue.toKey('metrics:completed');
    await lanes.producer.hset(metrics, 'count', 7, 'prevCount', 4, 'prevTS', (minute - 5) * 60_000);
    const connection = createRedisConnection({
      url: lanes.space.redisUrl,
      role: 'worker',
      onError: () => {},
    });
    const worker = new Worker(laneQueueName(2), null, {
      connection,
      prefix: lanes.space.prefix,
      metrics: { maxDataPoints: METRIC_MINUTES_KEPT },
    });
    try {
      const head = await worker.getNextJob('token');
      expect(head?.id).toBe('c-2-0');
      const keys = { key: (name: string) => queue.toKey(name) };
      expect(
        await recordDelivered(lanes.producer, keys, {
          jobId: 'c-2-0',
          token: 'token',
          followerIds: ['c-2-1', 'c-2-2', 'c-2-3'],
          markForMs: 60_000,
          now,
        }),
      ).toMatchObject({ completed: 3 });
      // BullMQ's own completion of the head, which rolls the minute when it has changed.
      await head.moveToCompleted('ok', 'token', false);
      const series = perMinute(await queue.getMetrics('completed', 0, 10), 7, now);
      // Oldest first: the three of five minutes ago there, the head and its three followers now.
      expect(series).toEqual([0, 3, 0, 0, 0, 0, 4]);
    } finally {
      await worker.close(true);
      connection.disconnect();
    }
  });

  it('completes without producing again a recorded job that comes back after its mark expired', async () => {
    // A worker takes c-2-0, Kafka acknowledges it with its follower c-2-1, their delivery is
    // recorded, and the worker dies before completing c-2-0. It comes back after its lock, and
    // here after a DEDUP_WINDOW so short that its mark is gone: its own hash still says.
    await lanes.enqueuer.enqueue(job(2, 0, 'same'));
    await lanes.enqueuer.enqueue(job(2, 1, 'same'));
    const dyingConnection = createRedisConnection({
      url: lanes.space.redisUrl,
      role: 'worker',
      onError: () => {},
    });
    const dying = new Worker(laneQueueName(2), null, {
      connection: dyingConnection,
      prefix: lanes.space.prefix,
      lockDuration: 1000,
    });
    const taken = await dying.getNextJob('dying-token');
    expect(taken?.id).toBe('c-2-0');
    const keys = { key: (name: string) => queue.toKey(name) };
    expect(
      await recordDelivered(lanes.producer, keys, {
        jobId: 'c-2-0',
        token: 'dying-token',
        followerIds: ['c-2-1'],
        markForMs: 1,
      }),
    ).toMatchObject({ completed: 1 });
    await dying.close(true);
    dyingConnection.disconnect();
    await waitFor(async () => (await lanes.producer.exists(deliveredMarkKey(keys, 'c-2-0'))) === 0);

    const calls = await deliverAll();
    await waitFor(async () => (await queue.getJob('c-2-0')) === undefined, {
      timeoutMs: 20_000,
      description: 'c-2-0 back from its stall and completed',
    });
    expect(calls).toEqual([]);
    expect(await queue.getJobCounts('wait', 'active', 'failed')).toEqual({
      wait: 0,
      active: 0,
      failed: 0,
    });
  });

  it('hands no follower whose delivery was recorded: it is completed in its own turn, unproduced', async () => {
    // A delivered commit stored again (a retried POST racing its first try) waits behind newer
    // versions of its object's; handed along as a follower it would land after them.
    await lanes.enqueuer.enqueue(job(2, 0, 'same'));
    await lanes.enqueuer.enqueue(job(2, 1, 'same'));
    await lanes.enqueuer.enqueue(job(2, 2));
    const keys = { key: (name: string) => queue.toKey(name) };
    await lanes.producer.set(deliveredMarkKey(keys, 'c-2-1'), '2', 'PX', 60_000);
    const calls = await deliverAll();
    await waitFor(() => calls.flat().includes('c-2-2'));
    await waitFor(async () => (await queue.getJobCounts('wait', 'active')).active === 0);
    expect(calls).toEqual([['c-2-0'], ['c-2-2']]);
    expect(await queue.getJob('c-2-1')).toBeUndefined();
    expect(await queue.getJobCounts('wait', 'failed')).toEqual({ wait: 0, failed: 0 });
  });

  it('completes a job further back that went with the active one: it reaches Kafka once', async () => {
    // c-2-0 and c-2-2 are versions of one object; c-2-1, between them, is another's. A retried
    // c-2-0 goes with c-2-2 only (deliver-commit.ts): c-2-1 is delivered next, c-2-2 never again.
    await lanes.enqueuer.enqueue(job(2, 0, 'same'));
    await lanes.enqueuer.enqueue(job(2, 1));
    await lanes.enqueuer.enqueue(job(2, 2, 'same'));
    await lanes.enqueuer.enqueue(job(2, 3));
    const calls: string[][] = [];
    await lanes.startWorkers(
      [2],
      (j: LaneJob): Promise<LaneOutcome> => {
        calls.push([j.id, ...j.followers.map((f) => f.id)]);
        return Promise.resolve(
          j.id === 'c-2-0'
            ? { kind: 'delivered', followers: 0, deliveredAhead: ['c-2-2'] }
            : { kind: 'delivered', followers: j.followers.length },
        );
      },
      FOLLOWERS,
    );
    await waitFor(() => calls.length === 2, { description: 'the lane delivered' });
    await waitFor(async () => (await queue.getJobCounts('active')).active === 0);
    expect(calls).toEqual([
      ['c-2-0', 'c-2-1', 'c-2-2', 'c-2-3'],
      ['c-2-1', 'c-2-3'],
    ]);
    const keys = { key: (name: string) => queue.toKey(name) };
    expect(await lanes.producer.get(deliveredMarkKey(keys, 'c-2-2'))).toBe('2');
    expect(await queue.getJob('c-2-2')).toBeUndefined();
    expect(await queue.getJobCounts('wait', 'failed')).toEqual({ wait: 0, failed: 0 });
    // Counted as delivered, as a follower is: the head, c-2-2, then c-2-1 and c-2-3.
    expect(Number(await lanes.producer.hget(queue.toKey('metrics:completed'), 'count'))).toBe(4);
  });

  it('holds the lane, producing nothing, while it cannot read whether a job was recorded', async () => {
    // Unread, the mark might have said "recorded": producing the job then could land it after
    // newer versions of its object that were delivered as its followers.
    await lanes.enqueuer.enqueue(job(2, 0, 'same'));
    await lanes.enqueuer.enqueue(job(2, 1, 'same'));
    const keys = { key: (name: string) => queue.toKey(name) };
    // A mark of the wrong type makes the read-ahead script fail (WRONGTYPE), as a Redis error would.
    await lanes.producer.hset(deliveredMarkKey(keys, 'c-2-0'), 'x', '1');
    const errors: string[] = [];
    const calls = await deliverAll(({ lane, error }) => errors.push(`${lane}: ${error.message}`));
    await waitFor(() => errors.length >= 3, { description: 'the read tried again, and failed' });
    expect(errors[0]).toMatch(/^2: .*WRONGTYPE/);
    expect(calls).toEqual([]);
    expect(await queue.getJobCounts('failed', 'completed')).toEqual({ failed: 0, completed: 0 });
    // Once the read works, the lane goes on in order.
    await lanes.producer.del(deliveredMarkKey(keys, 'c-2-0'));
    await waitFor(() => calls.flat().length === 2, { description: 'both delivered' });
    expect(calls).toEqual([['c-2-0', 'c-2-1']]);
  });

  it('keeps lane order with followers across two workers, each commit once', async () => {
    const ids: string[] = [];
    const delivered: string[] = [];
    const handle = async (j: LaneJob): Promise<LaneOutcome> => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      delivered.push(j.id, ...j.followers.map((f) => f.id));
      return { kind: 'delivered', followers: j.followers.length };
    };
    await lanes.startWorkers([2], handle, FOLLOWERS);
    await lanes.startWorkers([2], handle, FOLLOWERS);
    for (let n = 0; n < 200; n++) ids.push((await lanes.enqueuer.enqueue(job(2, n))).id);
    await waitFor(() => delivered.length >= 200, { timeoutMs: 30_000 });
    expect(delivered).toEqual(ids);
  });

  it('writes nothing without the active job’s lock, and completes only followers next in line', async () => {
    for (let n = 0; n < 3; n++) await lanes.enqueuer.enqueue(job(2, n));
    const keys = { key: (name: string) => queue.toKey(name) };
    const { followers } = await readFollowers(lanes.producer, keys, {
      jobId: 'started',
      maxJobs: 10,
      maxBytes: 1e6,
    });
    // Nothing is active: the next in line is the oldest job.
    expect(followers.map((f) => f.id)).toEqual(['c-2-0', 'c-2-1', 'c-2-2']);
    expect(followers[1]?.data.commit.key).toBe('k1');
    // Reading them writes nothing (no fsync stands between a job and its produce request).
    expect(await lanes.producer.exists(deliveredMarkKey(keys, 'started'))).toBe(0);

    await lanes.producer.set(queue.toKey('head:lock'), 'token-a');
    const record = async (token: string, followerIds: string[]) =>
      (
        await recordDelivered(lanes.producer, keys, {
          jobId: 'head',
          token,
          followerIds,
          markForMs: 60_000,
        })
      ).completed;
    const marked = async (id: string) =>
      (await lanes.producer.exists(deliveredMarkKey(keys, id))) === 1;
    // A lock taken over by another worker (another token): nothing is written.
    expect(await record('token-b', ['c-2-0'])).toBe(-1);
    expect(await marked('head')).toBe(false);
    expect(await marked('c-2-0')).toBe(false);
    // Ids that are not next in line: completes up to the first one that is not.
    expect(await record('token-a', ['c-2-0', 'c-2-2'])).toBe(1);
    expect(await marked('head')).toBe(true);
    expect(await lanes.producer.get(deliveredMarkKey(keys, 'head'))).toBe('2');
    expect(await marked('c-2-0')).toBe(true);
    expect(await marked('c-2-2')).toBe(false);
    expect(await queue.getJob('c-2-0')).toBeUndefined();
    expect((await queue.getWaiting()).map((j) => j.id).sort()).toEqual(['c-2-1', 'c-2-2']);
    // A job further back is completed only while it waits: one gone meanwhile leaves no mark.
    const behind = async (aheadIds: string[]) =>
      (
        await recordDelivered(lanes.producer, keys, {
          jobId: 'head',
          token: 'token-a',
          followerIds: [],
          aheadIds,
          markForMs: 60_000,
        })
      ).completed;
    // Nor while a follower given was not next in line (it stays, to be produced again in its
    // turn, and a newer version further back must follow it again).
    const mixed = await recordDelivered(lanes.producer, keys, {
      jobId: 'head',
      token: 'token-a',
      followerIds: ['c-2-2'],
      aheadIds: ['c-2-1'],
      markForMs: 60_000,
    });
    expect(mixed.completed).toBe(0);
    expect(await marked('c-2-1')).toBe(false);
    expect(await behind(['gone', 'c-2-2'])).toBe(1);
    expect(await marked('gone')).toBe(false);
    expect(await marked('c-2-2')).toBe(true);
    expect((await queue.getWaiting()).map((j) => j.id)).toEqual(['c-2-1']);
  });

  it('answers duplicate for a delivered commit posted again, while its mark lasts', async () => {
    await lanes.enqueuer.enqueue(job(2, 0));
    await lanes.enqueuer.enqueue(job(2, 1));
    const calls = await deliverAll();
    await waitFor(async () => (await queue.getJob('c-2-1')) === undefined, {
      description: 'both jobs removed on delivery',
    });
    // The jobs are gone; the marks recognise both, the active one and its follower.
    await expect(lanes.enqueuer.enqueue(job(2, 0))).resolves.toMatchObject({ duplicate: true });
    await expect(lanes.enqueuer.enqueue(job(2, 1))).resolves.toMatchObject({ duplicate: true });
    expect(calls.flat()).toEqual(['c-2-0', 'c-2-1']);
    // Past its window (the mark expired), the same commit is a new delivery.
    await lanes.producer.del(deliveredMarkKey({ key: (n) => queue.toKey(n) }, 'c-2-0'));
    await expect(lanes.enqueuer.enqueue(job(2, 0))).resolves.toMatchObject({ duplicate: false });
    await waitFor(() => calls.flat().length === 3);
  });

  it('writes a delivered job’s mark before BullMQ removes the job, and its holder', async () => {
    // The worker does not wait for the marks before BullMQ completes the job: Redis must still
    // run them first, or for a moment the commit would have neither job nor mark.
    const jobKey = queue.toKey('c-2-0');
    const markKey = deliveredMarkKey({ key: (n) => queue.toKey(n) }, 'c-2-0');
    const seen: string[] = [];
    const monitor = await monitorRedis(lanes.space.redisUrl, ([command, key, field]) => {
      const name = command?.toUpperCase();
      if (key === markKey && name === 'SET') seen.push('mark');
      if (key === jobKey && name === 'DEL') seen.push('remove');
      if (key === jobKey && name === 'HSET' && field === 'clh') seen.push('holder');
    });
    lanes.onClose(() => Promise.resolve(monitor.stop()));
    await lanes.enqueuer.enqueue(job(2, 0));
    await deliverAll();
    await waitFor(() => seen.includes('remove'), { description: 'the delivered job removed' });
    expect(seen).toEqual(['holder', 'mark', 'remove']);
    expect(await lanes.producer.get(markKey)).toBe('2');
  });

  it('reads followers up to the byte budget', async () => {
    for (let n = 0; n < 5; n++) await lanes.enqueuer.enqueue(job(2, n));
    const keys = { key: (name: string) => queue.toKey(name) };
    const one = (await lanes.producer.hget(queue.toKey('c-2-0'), 'data'))!.length;
    const { followers } = await readFollowers(lanes.producer, keys, {
      jobId: 'head',
      maxJobs: 10,
      maxBytes: one * 2 + 1,
    });
    expect(followers.map((f) => f.id)).toEqual(['c-2-0', 'c-2-1']);
  });
});
