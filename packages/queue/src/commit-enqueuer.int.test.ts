import { createTestQueuePrefix, startPrivateRedis, type TestQueuePrefix } from '@commitlog/testkit';
import type { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommitJobData } from './commit-job.ts';
import { createCommitEnqueuer } from './commit-enqueuer.ts';
import { laneChangeKey } from './lane-change-fence.ts';
import { laneCountKey } from './lane-count.ts';
import { openLaneQueue } from './with-lane-queue.ts';
import { BacklogFullError, QueueUnavailableError } from './queue-errors.ts';
import { createRedisConnection, type RedisConnection } from './redis-connection.ts';

function job(lane: number, id: string): CommitJobData {
  return {
    id,
    lane,
    commit: { bucketType: 'default', bucket: 'b', key: id, op: 'delete', siblings: [] },
    receivedAt: '2026-11-24T12:00:00.000Z',
  };
}

describe('commit enqueuer on the real Redis', () => {
  let space: TestQueuePrefix;
  let producer: RedisConnection;
  const closers: (() => Promise<unknown>)[] = [];

  beforeEach(() => {
    space = createTestQueuePrefix();
    producer = createRedisConnection({ url: space.redisUrl, role: 'producer', onError: () => {} });
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    producer.disconnect();
    await space.cleanup();
  });

  function enqueuer(maxLaneBacklog = 1000, gather = true) {
    const e = createCommitEnqueuer({
      connection: producer,
      prefix: space.prefix,
      maxLaneBacklog,
      lanes: 16,
      gather,
    });
    closers.push(() => e.close());
    return e;
  }

  /** An enqueuer on a redis-server of the test's own, which the test may stop or fill. */
  async function privateEnqueuer() {
    const redis = await startPrivateRedis();
    closers.push(() => redis.cleanup());
    const conn = createRedisConnection({ url: redis.url, role: 'producer', onError: () => {} });
    closers.push(() => Promise.resolve(conn.disconnect()));
    const e = createCommitEnqueuer({
      connection: conn,
      prefix: 'p',
      maxLaneBacklog: 100,
      lanes: 16,
    });
    closers.push(() => e.close());
    return { redis, conn, e };
  }

  function lane(n: number): Queue {
    const q = openLaneQueue(producer, space.prefix, n);
    closers.push(() => q.close());
    return q;
  }

  it('refuses, storing nothing, the commits of a store whose lane count changed or is changing since the ingest agreed to it', async () => {
    // Another process's change, landing after this ingest read the count at its first store:
    // the script that stores a lane's commits reads the count as it adds, in one step.
    const e = enqueuer();
    await e.enqueue(job(12, 'before'));
    await producer.set(laneCountKey(space.prefix), '8');
    const mismatch = await e.enqueue(job(12, 'after-change')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(mismatch).toBeInstanceOf(QueueUnavailableError);
    expect((mismatch as Error).message).toMatch(/LANES=16 but .*LANES=8/);
    expect(await lane(12).getJobState('after-change')).toBe('unknown');

    await producer.set(laneCountKey(space.prefix), '16');
    await producer.set(laneChangeKey(space.prefix), '8:another-process');
    const changing = await e.enqueue(job(12, 'while-changing')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((changing as Error).message).toMatch(/being changed \(to 8\)/);
    expect(await lane(12).getJobState('while-changing')).toBe('unknown');

    await producer.del(laneChangeKey(space.prefix));
    expect(await e.enqueue(job(12, 'after-change'))).toMatchObject({ duplicate: false });
  });

  it('stores a turn of commits in one script per lane, no other round trip', async () => {
    const e = enqueuer();
    // Each lane's queue object, once set up (BullMQ reads INFO and writes its meta then).
    await Promise.all([e.enqueue(job(3, 'warm')), e.enqueue(job(4, 'warm-4'))]);
    const sent: string[] = [];
    const sendCommand = producer.sendCommand.bind(producer);
    producer.sendCommand = ((command: Parameters<typeof sendCommand>[0], stream?: never) => {
      sent.push(command.name);
      return sendCommand(command, stream);
    }) as typeof producer.sendCommand;
    const results = await Promise.all([
      e.enqueue(job(3, 'one')),
      e.enqueue(job(4, 'two')),
      e.enqueue(job(3, 'three')),
    ]);
    expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
    expect(sent).toEqual(['evalsha', 'evalsha']);
    const waiting = await lane(3).getWaiting(0, -1);
    expect(waiting.map((j) => j.id)).toEqual(['warm', 'one', 'three']);
  });

  it('keeps a short tail of BullMQ events per lane, not its default 10,000', async () => {
    const e = enqueuer(5000);
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) => e.enqueue(job(6, `ev-${round}-${i}`))),
      );
    }
    const q = lane(6);
    expect(await producer.hget(q.toKey('meta'), 'opts.maxLenEvents')).toBe('1000');
    // Each add writes events; BullMQ trims to about the kept length (Redis trims in whole nodes).
    expect(await producer.xlen(q.toKey('events'))).toBeLessThan(1200);
    expect((await q.getJobCounts('wait')).wait).toBe(3000);
  });

  it('stores concurrent commits in their lanes, in call order, each answered once stored', async () => {
    const e = enqueuer();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => e.enqueue(job(i % 4, `id-${i}`))),
    );
    expect(results.every((r) => !r.duplicate)).toBe(true);
    for (let l = 0; l < 4; l++) {
      const waiting = await lane(l).getWaiting(0, -1);
      // getWaiting lists from the consuming end: the order in which the lane will deliver.
      expect(waiting.map((j) => j.id)).toEqual(
        Array.from({ length: 10 }, (_, k) => `id-${l + 4 * k}`),
      );
    }
  });

  it('keeps call order on a Redis that has not loaded the scripts yet (each add retried as EVAL)', async () => {
    const { conn, e } = await privateEnqueuer();
    await Promise.all(Array.from({ length: 30 }, (_, i) => e.enqueue(job(i % 3, `cold-${i}`))));
    for (let l = 0; l < 3; l++) {
      const q = openLaneQueue(conn, 'p', l);
      closers.push(() => q.close());
      const waiting = await q.getWaiting(0, -1);
      expect(waiting.map((j) => j.id)).toEqual(
        Array.from({ length: 10 }, (_, k) => `cold-${l + 3 * k}`),
      );
    }
  });

  it('without gathering, stores each commit on its own, still in call order per lane', async () => {
    const e = enqueuer(1000, false);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => e.enqueue(job(i % 2, `solo-${i}`))),
    );
    expect(results.map((r) => r.duplicate)).toEqual(new Array(20).fill(false));
    for (let l = 0; l < 2; l++) {
      const waiting = await lane(l).getWaiting(0, -1);
      expect(waiting.map((j) => j.id)).toEqual(
        Array.from({ length: 10 }, (_, k) => `solo-${l + 2 * k}`),
      );
    }
  });

  it('answers duplicate for a commit already stored, in the same turn or later, storing it once', async () => {
    const e = enqueuer();
    const [a, b] = await Promise.all([e.enqueue(job(0, 'same')), e.enqueue(job(0, 'same'))]);
    const c = await e.enqueue(job(0, 'same'));
    expect([a.duplicate, b.duplicate, c.duplicate]).toEqual([false, true, true]);
    expect(await lane(0).getWaitingCount()).toBe(1);
  });

  it('refuses commits past the lane backlog limit and stores none of them', async () => {
    const e = enqueuer(3);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => e.enqueue(job(2, `b-${i}`))),
    );
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
    const refused = outcomes[3] as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(BacklogFullError);
    expect(await lane(2).getWaitingCount()).toBe(3);
    // Another lane is not affected.
    await expect(e.enqueue(job(1, 'other-lane'))).resolves.toMatchObject({ duplicate: false });
  });

  it('refuses a commit whose store Redis refuses at its maxmemory, storing nothing, and stores it once Redis has room', async () => {
    const { conn, e } = await privateEnqueuer();
    await expect(e.enqueue(job(0, 'before'))).resolves.toMatchObject({ duplicate: false });

    // Redis at its maxmemory (noeviction): the store's script is refused whole, before it
    // stores anything.
    await conn.config('SET', 'maxmemory', '1');
    const refused = await e.enqueue(job(0, 'full')).catch((error: unknown) => error);
    await conn.config('SET', 'maxmemory', '0');
    expect(refused).toBeInstanceOf(QueueUnavailableError);
    expect((refused as Error).message).toMatch(/OOM/);
    const q = openLaneQueue(conn, 'p', 0);
    closers.push(() => q.close());
    expect((await q.getWaiting(0, -1)).map((j) => j.id)).toEqual(['before']);

    // The retry is a new store, not a duplicate of a half-written one.
    await expect(e.enqueue(job(0, 'full'))).resolves.toMatchObject({ duplicate: false });
    expect((await q.getWaiting(0, -1)).map((j) => j.id).sort()).toEqual(['before', 'full']);
  });

  it('fails fast with QueueUnavailableError while Redis is down, and recovers when it is back', async () => {
    const { redis, conn, e } = await privateEnqueuer();

    await expect(e.enqueue(job(0, 'before'))).resolves.toMatchObject({ duplicate: false });
    await redis.stop();
    await expect(e.enqueue(job(0, 'during'))).rejects.toBeInstanceOf(QueueUnavailableError);
    await redis.start();
    // The connection comes back by itself; the next enqueues succeed once it has.
    let stored = false;
    for (let i = 0; i < 100 && !stored; i++) {
      stored = await e.enqueue(job(0, 'after')).then(
        () => true,
        async () => {
          await new Promise((r) => setTimeout(r, 100));
          return false;
        },
      );
    }
    expect(stored).toBe(true);
    const q = openLaneQueue(conn, 'p', 0);
    closers.push(() => q.close());
    // AOF kept the first job across the restart; the refused one was never stored.
    expect((await q.getWaiting(0, -1)).map((j) => j.id).sort()).toEqual(['after', 'before']);
  });
});
