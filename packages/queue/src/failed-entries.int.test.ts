import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeExpiredFailures, takeSweepTurn } from './expired-failures.ts';
import { type FailedDelivery } from './failed-deliveries.ts';
import { failedEntries } from './failed-entries.ts';
import { openLaneQueue } from './with-lane-queue.ts';
import { createRedisConnection, whenFirstConnected } from './redis-connection.ts';
import { runScriptsTwice } from '../test/scripts-run-twice.ts';

describe('failedEntries on the real Redis', () => {
  let space: TestQueuePrefix;

  beforeEach(() => {
    space = createTestQueuePrefix();
  });

  afterEach(async () => {
    await space.cleanup();
  });

  /** Failed jobs as BullMQ keeps them: an id in the failed set (scored by time) and its hash. */
  async function seedFailed(queueKey: (name: string) => string, ids: string[], at: number) {
    for (const [i, id] of ids.entries()) {
      // Several share a time, as failures of one burst do.
      const finishedOn = at + Math.floor(i / 3);
      await space.redis.zadd(queueKey('failed'), finishedOn, id);
      await space.redis.hset(queueKey(id), { failedReason: 'expired: x', finishedOn });
    }
  }

  it('reads every failure while another process removes the ones already read', async () => {
    const queue = openLaneQueue(space.redis, space.prefix, 0);
    try {
      const ids = Array.from({ length: 20 }, (_, i) => `job-${String(i).padStart(2, '0')}`);
      await seedFailed((name) => queue.toKey(name), ids, 1_000_000);
      const read: string[] = [];
      for await (const entry of failedEntries(space.redis, queue, 4)) {
        read.push(entry.id);
        // A re-drive beside this one takes each failure as soon as it is read.
        await space.redis.zrem(queue.toKey('failed'), entry.id);
      }
      expect(read.sort()).toEqual(ids);
    } finally {
      await queue.close();
    }
  });

  it('reads every failure of a run longer than a page that shares one time', async () => {
    const queue = openLaneQueue(space.redis, space.prefix, 0);
    try {
      const ids = Array.from({ length: 10 }, (_, i) => `same-${i}`);
      for (const id of ids) {
        await space.redis.zadd(queue.toKey('failed'), 5, id);
        await space.redis.hset(queue.toKey(id), { failedReason: 'expired: x', finishedOn: 5 });
      }
      const read: string[] = [];
      for await (const entry of failedEntries(space.redis, queue, 3)) read.push(entry.id);
      expect(read.sort()).toEqual([...ids].sort());
    } finally {
      await queue.close();
    }
  });

  it('removes the failures older than the retention, jobs and all, telling each once to one of two sweeps at once', async () => {
    const hour = 3_600_000;
    const now = Date.now();
    const lanes = [0, 1];
    const queues = lanes.map((lane) => openLaneQueue(space.redis, space.prefix, lane));
    /** A failed job's data: a commit whose value must never reach what the sweep tells. */
    const data = (lane: number, id: string, key: string | { base64: string }) =>
      JSON.stringify({
        id,
        lane,
        commit: {
          bucketType: 'default',
          bucket: 'payments',
          key,
          op: 'put',
          siblings: [{ value: 'CARD-NUMBER-VALUE' }],
        },
        receivedAt: new Date(now - 3 * hour).toISOString(),
      });
    try {
      const [lane0, lane1] = queues.map((q) => (name: string) => q.toKey(name));
      // More old ones than one page lists, in lane 0; in lane 1 one old, one old whose data
      // does not parse, and one recent.
      const old = Array.from({ length: 1005 }, (_, i) => `old-${i}`);
      await seedFailed(lane0!, old, now - 3 * hour);
      for (const id of old) await space.redis.hset(lane0!(id), { data: data(0, id, `k-${id}`) });
      await seedFailed(lane1!, ['old-x', 'old-bad'], now - 2 * hour);
      await space.redis.hset(lane1!('old-x'), {
        failedReason: 'too-large: MESSAGE_TOO_LARGE',
        data: data(1, 'old-x', { base64: '//4=' }),
      });
      await space.redis.hset(lane1!('old-bad'), { data: '{not json' });
      await seedFailed(lane1!, ['recent'], now - hour / 2);

      const told: FailedDelivery[] = [];
      const sweep = () =>
        removeExpiredFailures(space.redis, space.prefix, lanes, hour, (some) => told.push(...some));
      const counts = await Promise.all([sweep(), sweep()]);
      expect(counts[0] + counts[1]).toBe(1007);
      // Each told once, by the sweep that removed it, with where its commit belongs.
      expect(told.map((r) => r.jobId).sort()).toEqual([...old, 'old-x', 'old-bad'].sort());
      for (const r of told.filter((t) => t.lane === 0)) {
        expect(r).toMatchObject({ bucket: 'payments', key: `k-${r.jobId}`, reason: 'expired' });
      }
      expect(told.find((r) => r.jobId === 'old-x')).toEqual({
        lane: 1,
        jobId: 'old-x',
        reason: 'too-large',
        message: 'MESSAGE_TOO_LARGE',
        failedAt: now - 2 * hour,
        bucketType: 'default',
        bucket: 'payments',
        key: 'base64://4=',
      });
      expect(told.find((r) => r.jobId === 'old-bad')).toMatchObject({ bucket: '(unreadable)' });
      expect(JSON.stringify(told)).not.toContain('CARD-NUMBER-VALUE');
      expect(await space.redis.zcard(lane0!('failed'))).toBe(0);
      expect(await space.redis.exists(lane0!('old-0'), lane1!('old-x'), lane1!('old-bad'))).toBe(0);
      expect(await space.redis.zrange(lane1!('failed'), '0', '-1')).toEqual(['recent']);
      expect(await space.redis.exists(lane1!('recent'))).toBe(1);
      expect(await sweep()).toBe(0);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  });

  it('tells the failures a removal took though its answer was lost and ioredis sent it again', async () => {
    const hour = 3_600_000;
    const now = Date.now();
    const queue = openLaneQueue(space.redis, space.prefix, 2);
    // Its own connection, whose scripts on the lane's failed set each run twice.
    const twice = createRedisConnection({ url: space.redisUrl, role: 'worker', onError() {} });
    try {
      await whenFirstConnected(twice, 10_000);
      const failedSet = queue.toKey('failed');
      const ranTwice = runScriptsTwice(twice, space.redis, failedSet);
      const ids = ['gone-a', 'gone-b', 'gone-c'];
      await seedFailed((name) => queue.toKey(name), ids, now - 2 * hour);

      const told: FailedDelivery[] = [];
      const count = await removeExpiredFailures(twice, space.prefix, [2], hour, (some) =>
        told.push(...some),
      );
      expect(ranTwice()).toBeGreaterThan(0);
      expect(count).toBe(3);
      expect(told.map((r) => r.jobId).sort()).toEqual(ids);
      expect(await space.redis.zcard(failedSet)).toBe(0);
    } finally {
      twice.disconnect();
      await queue.close();
    }
  });

  it('gives the turn to sweep to one worker at a time, until it lapses', async () => {
    expect(await takeSweepTurn(space.redis, space.prefix, 'w1', 300)).toBe(true);
    expect(await takeSweepTurn(space.redis, space.prefix, 'w2', 300)).toBe(false);
    expect(await takeSweepTurn(space.redis, space.prefix, 'w1', 300)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await takeSweepTurn(space.redis, space.prefix, 'w2', 300)).toBe(true);
  });
});
