// The overview on the real Redis: jobs delivered and failed by real lane workers, read back as the
// dashboard and `commitlog status` read them.
import { waitFor } from '@commitlog/testkit';
import type { Command } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLaneSpace, type LaneSpace } from '../test/lane-space.ts';
import { laneJobState, openBoardQueues } from './board-queues.ts';
import { laneQueueName } from './lane-queue-name.ts';
import type { CommitJobData } from './commit-job.ts';
import { readDeliveryOverview } from './delivery-overview.ts';
import { recordStall } from './delivery-views.ts';
import { createRedisConnection, type RedisConnection } from './redis-connection.ts';
import { firstConnectionOrRefusal } from './redis-retry.ts';
import { LANES_READ_AT_ONCE } from './with-lane-queue.ts';

/** The commands a connection sends, by name, and the most it had sent and not had answered. */
function countCommands(connection: RedisConnection): {
  sent: Map<string, number>;
  mostInFlight: () => number;
} {
  const sent = new Map<string, number>();
  let inFlight = 0;
  let most = 0;
  const send = connection.sendCommand.bind(connection) as (command: Command) => unknown;
  (connection as { sendCommand: (command: Command) => unknown }).sendCommand = (command) => {
    sent.set(command.name, (sent.get(command.name) ?? 0) + 1);
    most = Math.max(most, ++inFlight);
    command.promise.then(
      () => inFlight--,
      () => inFlight--,
    );
    return send(command);
  };
  return { sent, mostInFlight: () => most };
}

function job(n: number, bucket = 'payments'): CommitJobData {
  const commit = {
    bucketType: 'default',
    bucket,
    key: `order-${n}`,
    op: 'put' as const,
    siblings: [{ value: 'eyJhbW91bnQiOjEwMH0=' }],
  };
  return { id: `c-${n}`, lane: n % 4, commit, receivedAt: new Date().toISOString() };
}

describe('readDeliveryOverview on the real Redis', () => {
  let lanes: LaneSpace;

  beforeEach(() => {
    lanes = openLaneSpace();
  });

  afterEach(async () => {
    await lanes.close();
  });

  it('shows delivered and failed per minute, failures by reason and the newest failures', async () => {
    const { producer, enqueuer, space } = lanes;
    await lanes.startWorkers([0, 1, 2, 3], (j) =>
      Promise.resolve(
        Number(j.id.slice(2)) % 5 === 0
          ? { kind: 'fail', reason: 'expired', message: 'not delivered within 3s: broker down' }
          : { kind: 'delivered' },
      ),
    );
    for (let n = 1; n <= 20; n++) await enqueuer.enqueue(job(n));
    const read = () => readDeliveryOverview(producer, space.prefix, 4, { failures: 3, minutes: 5 });
    await waitFor(
      async () => {
        const { rates } = await read();
        const sum = (k: 'delivered' | 'failed') => rates.reduce((t, m) => t + m[k], 0);
        return sum('delivered') === 16 && sum('failed') === 4;
      },
      { description: '16 delivered and 4 failed in the rates' },
    );

    const overview = await read();
    expect(overview.rates).toHaveLength(5);
    expect(overview.rates.at(-1)!.minute).toBeLessThanOrEqual(overview.at);
    expect(overview.failedByReason).toEqual([
      expect.objectContaining({ reason: 'expired', count: 4 }),
    ]);
    const newest = overview.recentFailures[0]!;
    expect(overview.failedByReason[0]!.newest).toEqual({ lane: newest.lane, jobId: newest.jobId });
    expect(overview.recentFailures).toHaveLength(3);
    // The three newest of the four lanes' failures, by when they failed, newest first.
    const failedSets = await Promise.all(
      [0, 1, 2, 3].map((lane) =>
        producer.zrange(`${space.prefix}:${laneQueueName(lane)}:failed`, '0', '-1', 'WITHSCORES'),
      ),
    );
    const byTime = failedSets
      .flatMap((flat) => [{ jobId: flat[0]!, at: Number(flat[1]) }])
      .sort((a, b) => b.at - a.at || a.jobId.localeCompare(b.jobId));
    expect(overview.recentFailures.map((f) => f.jobId)).toEqual(
      byTime.slice(0, 3).map((f) => f.jobId),
    );
    expect(newest).toMatchObject({
      reason: 'expired',
      message: 'not delivered within 3s: broker down',
      bucketType: 'default',
      bucket: 'payments',
    });
    expect(JSON.stringify(overview)).not.toContain('eyJhbW91bnQiOjEwMH0='); // no commit value
    expect(overview.backlogs.map((b) => b.failed)).toEqual([1, 1, 1, 1]);

    // A failed job whose data is not a commit is shown as unreadable, not an error.
    await producer.hset(
      `${space.prefix}:${laneQueueName(newest.lane)}:${newest.jobId}`,
      'data',
      '{"x":1}',
    );
    const again = await read();
    expect(again.recentFailures.find((f) => f.jobId === newest.jobId)).toMatchObject({
      bucket: '(unreadable)',
      key: '(unreadable)',
    });

    const board = openBoardQueues(producer, space.prefix, 4);
    try {
      expect(await laneJobState(board, newest.lane, newest.jobId)).toBe('failed');
      // Delivered jobs are removed; their mark tells.
      expect(await laneJobState(board, 1, 'c-1')).toBe('delivered');
    } finally {
      await board.close();
    }
  });

  it('counts every stall recorded, beyond the newest it shows', async () => {
    const { redis, prefix } = lanes.space;
    for (let n = 0; n < 7; n++) {
      await recordStall(redis, prefix, { lane: 0, jobId: `gone-${n}`, at: 1_000 + n, worker: 'w' });
    }
    const overview = await readDeliveryOverview(redis, prefix, 1, { stalls: 3, failures: 0 });
    expect(overview.stalls.map((s) => s.jobId)).toEqual(['gone-6', 'gone-5', 'gone-4']);
    expect(overview.stallsRecorded).toBe(7);
  });

  it('shows a lane paused from the board, whose commits wait until it is resumed', async () => {
    const { producer, enqueuer, space } = lanes;
    const delivered: string[] = [];
    await lanes.startWorkers([0, 1], (j) => {
      delivered.push(j.id);
      return Promise.resolve({ kind: 'delivered' });
    });
    const board = openBoardQueues(producer, space.prefix, 2);
    try {
      // What Bull Board's pause button does.
      await board.queues[0]!.queue.pause();
      for (let n = 1; n <= 6; n++) await enqueuer.enqueue({ ...job(n), lane: n % 2 });
      await waitFor(() => delivered.length === 3, { description: 'lane 1 delivered its 3' });
      const paused = await readDeliveryOverview(producer, space.prefix, 2, { failures: 0 });
      expect(paused.backlogs.map((b) => [b.lane, b.waiting, b.paused])).toEqual([
        [0, 3, true],
        [1, 0, false],
      ]);
      expect(delivered.sort()).toEqual(['c-1', 'c-3', 'c-5']);

      await board.queues[0]!.queue.resume();
      await waitFor(() => delivered.length === 6, { description: 'lane 0 delivered once resumed' });
      const resumed = await readDeliveryOverview(producer, space.prefix, 2, { failures: 0 });
      expect(resumed.backlogs.map((b) => [b.lane, b.waiting, b.paused])).toEqual([
        [0, 0, false],
        [1, 0, false],
      ]);
    } finally {
      await board.close();
    }
  });

  it('reads 1,024 lanes a batch at a time, asking no INFO, four readers at once', async () => {
    const { space } = lanes;
    const LANE_COUNT = 1024;
    const now = Date.now();
    // A failure in lanes of four batches, the newest in the last lane; delivered counts in two.
    const failedIn = [5, 40, 700, 1023];
    const seed = space.redis.pipeline();
    for (const [i, lane] of failedIn.entries()) {
      const base = `${space.prefix}:${laneQueueName(lane)}`;
      const failedAt = now - 60_000 + i * 1000;
      seed.zadd(`${base}:failed`, failedAt, `f-${lane}`);
      seed.hset(`${base}:f-${lane}`, {
        failedReason: 'expired: broker down',
        finishedOn: String(failedAt),
        timestamp: String(failedAt),
        data: JSON.stringify(job(lane)),
      });
    }
    for (const lane of [3, 1000]) {
      const base = `${space.prefix}:${laneQueueName(lane)}`;
      seed.hset(`${base}:metrics:completed`, { count: 5, prevTS: now, prevCount: 2 });
    }
    await seed.exec();

    const reader = createRedisConnection({
      url: space.redisUrl,
      role: 'producer',
      onError: () => {},
    });
    lanes.onClose(async () => reader.quit());
    await firstConnectionOrRefusal(reader, 5000);
    const commands = countCommands(reader);
    const read = () =>
      readDeliveryOverview(reader, space.prefix, LANE_COUNT, {
        failures: 3,
        minutes: 2,
        now: () => now,
      });
    const overviews = await Promise.all([read(), read(), read(), read()]);

    for (const overview of overviews) {
      expect(overview.backlogs.map((b) => b.lane)).toEqual([...Array(LANE_COUNT).keys()]);
      expect(overview.backlogs.filter((b) => b.failed > 0).map((b) => b.lane)).toEqual(failedIn);
      expect(overview.recentFailures.map((f) => f.jobId)).toEqual(['f-1023', 'f-700', 'f-40']);
      expect(overview.rates.map((m) => m.delivered)).toEqual([0, 6]);
      expect(overview.failedByReason).toEqual([
        expect.objectContaining({ reason: 'expired', count: 4 }),
      ]);
    }
    // BullMQ asked Redis its version (INFO) for each lane's queue in each view, 4,096 a reading
    // here; and all lanes read at once held 28,000 commands in flight (some 250 now).
    expect(commands.sent.get('info')).toBeUndefined();
    expect(commands.mostInFlight()).toBeLessThan(4 * LANES_READ_AT_ONCE * 15);
  }, 30_000);
});
