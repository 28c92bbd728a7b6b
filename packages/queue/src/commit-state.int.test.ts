// A commit's state (`commitState`, what the Deliveries page and `status` show for each stall) on
// the real Redis: the states of real jobs, and its cost in a lane that holds a long backlog.
import { startPrivateRedis, waitFor, type PrivateRedis } from '@commitlog/testkit';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { laneCommit, openLaneSpace, type LaneSpace } from '../test/lane-space.ts';
import { commitState, deliveredMarkKey } from './delivered-marks.ts';
import type { LaneOutcome } from './lane-job.ts';
import { createRedisConnection, type RedisConnection } from './redis-connection.ts';
import { openLaneQueue } from './with-lane-queue.ts';

/** Waiting jobs of the long lane: a Kafka outage leaves lanes a million long. */
const BACKLOG = 200_000;

/**
 * Inputs: KEYS[1] a lane's wait list; ARGV[1] its job key prefix, ARGV[2] the first job's number,
 * ARGV[3] how many, ARGV[4] their timestamp. Pushes jobs `j-<n>` as BullMQ's add does (at the
 * producing end), each with a hash of BullMQ's main fields and a small data.
 */
const FILL = `
for n = tonumber(ARGV[2]), tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1 do
  local id = 'j-' .. n
  redis.call('LPUSH', KEYS[1], id)
  redis.call('HSET', ARGV[1] .. id, 'name', 'commit', 'data', '{"id":"' .. id .. '"}',
    'opts', '{}', 'timestamp', ARGV[4], 'delay', 0, 'priority', 0)
end
`;

describe('commitState on the real Redis', () => {
  let lanes: LaneSpace;

  beforeEach(() => {
    lanes = openLaneSpace();
  });

  afterEach(async () => {
    await lanes.close();
  });

  function laneQueue(lane: number): Queue {
    const queue = openLaneQueue(lanes.producer, lanes.space.prefix, lane);
    lanes.onClose(() => queue.close());
    return queue;
  }

  it('names each state of a lane job as BullMQ does, and a delivered or unknown commit', async () => {
    const { enqueuer, producer } = lanes;
    const state = (queue: Queue, id: string) => commitState(producer, queue, id);
    // Lane 1 waits; lane 2 is paused (BullMQ keeps its jobs in its wait list).
    await enqueuer.enqueue(laneCommit(1, 0));
    await enqueuer.enqueue(laneCommit(2, 0));
    await laneQueue(2).pause();
    // Lane 3 fails its commit, lane 4 delivers one and holds the next until told.
    let release: (outcome: LaneOutcome) => void = () => undefined;
    const held = new Promise<LaneOutcome>((resolve) => (release = resolve));
    await lanes.startWorkers([3, 4], (job) =>
      job.lane === 3
        ? Promise.resolve({ kind: 'fail', reason: 'expired', message: 'past its TTL' })
        : job.id === 'c-4-0'
          ? Promise.resolve({ kind: 'delivered' })
          : held,
    );
    // Before the workers stop, which waits for the job they hold.
    lanes.onClose(() => Promise.resolve(release({ kind: 'delivered' })));
    await enqueuer.enqueue(laneCommit(3, 0));
    await enqueuer.enqueue(laneCommit(4, 0));
    await waitFor(async () => (await state(laneQueue(4), 'c-4-0')) === 'delivered', {
      description: 'c-4-0 delivered',
    });
    await enqueuer.enqueue(laneCommit(4, 1));
    await waitFor(async () => (await state(laneQueue(3), 'c-3-0')) === 'failed', {
      description: 'c-3-0 failed',
    });
    await waitFor(async () => (await state(laneQueue(4), 'c-4-1')) === 'active', {
      description: 'c-4-1 taken',
    });

    const seen = {
      waiting: await state(laneQueue(1), 'c-1-0'),
      paused: await state(laneQueue(2), 'c-2-0'),
      failed: await state(laneQueue(3), 'c-3-0'),
      delivered: await state(laneQueue(4), 'c-4-0'),
      active: await state(laneQueue(4), 'c-4-1'),
      unknown: await state(laneQueue(1), 'c-1-9'),
    };
    expect(seen).toEqual({
      waiting: 'waiting',
      paused: 'waiting',
      failed: 'failed',
      delivered: 'delivered',
      active: 'active',
      unknown: 'unknown',
    });
    for (const [lane, id] of [
      [1, 'c-1-0'],
      [2, 'c-2-0'],
      [3, 'c-3-0'],
    ] as const) {
      expect(await state(laneQueue(lane), id)).toBe(await laneQueue(lane).getJobState(id));
    }
  });

  it("names BullMQ's other states as it does, which commitlog's lanes do not use", async () => {
    const { producer, space } = lanes;
    const queue = new Queue('plain', { connection: producer, prefix: space.prefix });
    lanes.onClose(() => queue.close());
    await queue.add('x', {}, { jobId: 'later', delay: 3_600_000 });
    await queue.add('x', {}, { jobId: 'urgent', priority: 1 });
    const flows = new FlowProducer({ connection: producer, prefix: space.prefix });
    lanes.onClose(() => flows.close());
    await flows.add({
      name: 'parent',
      queueName: 'plain',
      opts: { jobId: 'parent' },
      children: [{ name: 'child', queueName: 'children', opts: { jobId: 'child' } }],
    });
    const done = new Queue('done', { connection: producer, prefix: space.prefix });
    lanes.onClose(() => done.close());
    await done.add('x', {}, { jobId: 'kept', removeOnComplete: false });
    const workerConnection = createRedisConnection({
      url: space.redisUrl,
      role: 'worker',
      onError: () => undefined,
    });
    const worker = new Worker('done', () => Promise.resolve(), {
      connection: workerConnection,
      prefix: space.prefix,
    });
    lanes.onClose(async () => {
      await worker.close();
      workerConnection.disconnect();
    });
    await waitFor(async () => (await done.getJobState('kept')) === 'completed', {
      description: 'the job completed',
    });

    for (const [q, id, expected] of [
      [queue, 'later', 'delayed'],
      [queue, 'urgent', 'prioritized'],
      [queue, 'parent', 'waiting-children'],
      [done, 'kept', 'completed'],
    ] as const) {
      expect(await commitState(producer, q, id)).toBe(expected);
      expect(await q.getJobState(id)).toBe(expected);
    }
  });
});

describe('commitState in a lane of a long backlog', () => {
  let redis: PrivateRedis;
  let connection: RedisConnection;

  beforeEach(async () => {
    redis = await startPrivateRedis();
    connection = createRedisConnection({ url: redis.url, role: 'producer', onError: () => {} });
  });

  afterEach(async () => {
    connection.disconnect();
    await redis.cleanup();
  });

  it(`finds a job at the far end of ${BACKLOG} waiting, or gone, without walking the lane`, async () => {
    const queue = openLaneQueue(connection, 'long', 0);
    try {
      await queue.waitUntilReady();
      for (let first = 0; first < BACKLOG; first += 50_000) {
        await connection.eval(FILL, 1, queue.toKey('wait'), queue.toKey(''), first, 50_000, 1);
      }
      const lane = { key: (name: string) => queue.toKey(name) };
      await connection.set(deliveredMarkKey(lane, 'sent'), '2');
      await connection.zadd(queue.toKey('failed'), 1, 'j-7');
      // Each command Redis runs for 1 ms or more is logged; LPOS, from the producing end of the
      // list, walked it whole (2-4 ms here, 12-16 ms at a million) to find its oldest job, j-0.
      await connection.config('SET', 'slowlog-log-slower-than', '1000');
      await connection.slowlog('RESET');
      await connection.config('RESETSTAT');

      const states = [];
      for (const id of ['j-0', `j-${BACKLOG - 1}`, 'j-7', 'sent', 'gone']) {
        states.push(await commitState(connection, queue, id));
      }
      expect(states).toEqual(['waiting', 'waiting', 'failed', 'delivered', 'unknown']);
      expect(await connection.slowlog('GET', 100)).toEqual([]);
      expect(await connection.info('commandstats')).not.toMatch(/cmdstat_lpos:/);
    } finally {
      await queue.close();
    }
  });
});
