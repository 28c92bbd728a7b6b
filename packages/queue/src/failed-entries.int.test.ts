import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failedEntries } from './failed-deliveries.ts';
import { openLaneQueue } from './with-lane-queue.ts';

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
});
