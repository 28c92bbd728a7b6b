// An id of a lane's failed set whose job hash is gone (a hand edit of Redis, a restore that lost
// the hash) on the real Redis: counted as failed, found by neither the reasons nor a re-drive
// until now; a re-drive names it, and a discard removes it (there is no commit to lose).
import { waitFor } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { laneCommit, openLaneSpace, type LaneSpace } from '../test/lane-space.ts';
import { runScriptsTwice } from '../test/scripts-run-twice.ts';
import { discardUnreadable } from './discard.ts';
import { failedByReason } from './failed-deliveries.ts';
import { readLaneBacklogs } from './lane-backlog.ts';
import type { LaneOutcome } from './lane-job.ts';
import { createRedisConnection, whenFirstConnected } from './redis-connection.ts';
import { redrive } from './redrive.ts';
import { openLaneQueue } from './with-lane-queue.ts';

const expired = (): Promise<LaneOutcome> =>
  Promise.resolve({ kind: 'fail', reason: 'expired', message: 'not delivered within 3s' });

describe('a failed id whose job is gone', () => {
  let lanesSpace: LaneSpace;

  beforeEach(() => {
    lanesSpace = openLaneSpace();
  });

  afterEach(async () => {
    await lanesSpace.close();
  });

  /** Keys of `lane`'s queue. */
  function keyOf(lane: number): (name: string) => string {
    const queue = openLaneQueue(lanesSpace.producer, lanesSpace.space.prefix, lane);
    lanesSpace.onClose(() => queue.close());
    return (name) => queue.toKey(name);
  }

  /** Fails commits `c-<lane>-<n>` of `ns` in `lane`, then deletes the hashes of `gone` of them. */
  async function failThenLose(lane: number, ns: number[], gone: number[]): Promise<void> {
    const { producer, enqueuer, space } = lanesSpace;
    const stop = await lanesSpace.startWorkers([lane], expired);
    for (const n of ns) await enqueuer.enqueue(laneCommit(lane, n));
    const key = keyOf(lane);
    await waitFor(async () => (await producer.zcard(key('failed'))) === ns.length, {
      description: `${ns.length} failures in lane ${lane}`,
    });
    await stop();
    for (const n of gone) await producer.del(key(`c-${lane}-${n}`));
    // Counted as failed (the worker's failed gauge, `status`), and in no reason.
    const [backlog] = await readLaneBacklogs(producer, space.prefix, [lane]);
    expect(backlog?.failed).toBe(ns.length);
  }

  it('is named by a re-drive of all, of its id, or older than its failure, and not by a reason', async () => {
    const { producer, space } = lanesSpace;
    await failThenLose(3, [0, 1, 2], [1, 2]);
    expect(await failedByReason(producer, space.prefix, [3])).toEqual([
      expect.objectContaining({ reason: 'expired', count: 1 }),
    ]);

    // A job that is gone has no reason or bucket to match: not named by such a filter.
    expect(await redrive(producer, space.prefix, [3], { reason: 'no-such' })).toEqual({
      redriven: 0,
      skipped: 0,
    });
    expect(await redrive(producer, space.prefix, [3], { bucket: 'other', olderThanMs: 1 })).toEqual(
      {
        redriven: 0,
        skipped: 0,
      },
    );
    // Younger than the filter: not taken.
    expect(await redrive(producer, space.prefix, [3], { olderThanMs: 3_600_000 })).toEqual({
      redriven: 0,
      skipped: 0,
    });
    expect(await redrive(producer, space.prefix, [2, 3], { jobId: 'c-3-1' })).toEqual({
      redriven: 0,
      skipped: 0,
      jobGone: { count: 1, ids: ['c-3-1'] },
    });
    // Every lane, as `--all` is: the whole job is re-driven, the two gone are named.
    expect(await redrive(producer, space.prefix, [2, 3], {})).toEqual({
      redriven: 1,
      skipped: 0,
      jobGone: { count: 2, ids: ['c-3-1', 'c-3-2'] },
    });
    expect(await producer.zcard(keyOf(3)('failed'))).toBe(2);
  });

  it('is removed by a discard of its id, which says so, and refused while a lock is on it', async () => {
    const { producer, space } = lanesSpace;
    await failThenLose(4, [0, 1], [1]);
    const key = keyOf(4);
    let told = 0;
    const onJobGone = (): void => void told++;

    await producer.set(`${key('c-4-1')}:lock`, 'a-worker-token');
    await expect(
      discardUnreadable(producer, space.prefix, [3, 4], 'c-4-1', onJobGone),
    ).rejects.toThrow(/^job c-4-1 of lane 4 is held by a worker/);
    expect(await producer.zscore(key('failed'), 'c-4-1')).not.toBeNull();
    await producer.del(`${key('c-4-1')}:lock`);

    // Left by the lost job: BullMQ's keys beside it go with the id.
    await producer.rpush(`${key('c-4-1')}:logs`, 'a line');
    expect(await discardUnreadable(producer, space.prefix, [3, 4], 'c-4-1', onJobGone)).toBe(4);
    expect(told).toBe(1);
    expect(await producer.zscore(key('failed'), 'c-4-1')).toBeNull();
    expect(await producer.exists(`${key('c-4-1')}:logs`)).toBe(0);
    // The whole job beside it, which holds a commit, is left as it was.
    expect(await producer.zscore(key('failed'), 'c-4-0')).not.toBeNull();
    expect(await producer.exists(key('c-4-0'))).toBe(1);
    const [backlog] = await readLaneBacklogs(producer, space.prefix, [4]);
    expect(backlog?.failed).toBe(1);
    // Nothing of that id is left: a second discard finds nothing.
    expect(
      await discardUnreadable(producer, space.prefix, [3, 4], 'c-4-1', onJobGone),
    ).toBeUndefined();
    expect(told).toBe(1);
  });

  it('is reported removed, its job gone, when the discard is sent again after its answer was lost', async () => {
    const { producer, space } = lanesSpace;
    await failThenLose(5, [0], [0]);
    const key = keyOf(5);
    // Its own connection, whose scripts on lane 5's failed set each run twice.
    const twice = createRedisConnection({ url: space.redisUrl, role: 'worker', onError() {} });
    try {
      await whenFirstConnected(twice, 10_000);
      const ranTwice = runScriptsTwice(twice, producer, key('failed'));
      let told = 0;
      expect(await discardUnreadable(twice, space.prefix, [5], 'c-5-0', () => void told++)).toBe(5);
      expect(ranTwice()).toBe(1);
      expect(told).toBe(1);
      expect(await producer.zscore(key('failed'), 'c-5-0')).toBeNull();
    } finally {
      twice.disconnect();
    }
  });
});
