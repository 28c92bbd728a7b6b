import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import type { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitJobOptions, type CommitJobData } from './commit-job.ts';
import { DELIVERED_MARK } from './delivered-marks.ts';
import { createLaneStore, type LaneStoreJob } from './lane-store.ts';
import { openLaneQueue } from './with-lane-queue.ts';

function laneJob(id: string, timestamp: number): LaneStoreJob {
  const data: CommitJobData = {
    id,
    lane: 5,
    commit: { bucketType: 'default', bucket: 'b', key: id, op: 'delete', siblings: [] },
    receivedAt: '2026-12-06T04:00:00.000Z',
  };
  return { data, opts: { ...commitJobOptions(id), timestamp } };
}

describe('a lane store on the real Redis', () => {
  let space: TestQueuePrefix;
  let queue: Queue;

  beforeEach(async () => {
    space = createTestQueuePrefix();
    queue = openLaneQueue(space.redis, space.prefix, 5);
    await queue.waitUntilReady();
  });

  afterEach(async () => {
    await queue.close();
    await space.cleanup();
  });

  const options = (maxLaneBacklog = 1000) => ({
    prefix: space.prefix,
    maxLaneBacklog,
    expectLanes: undefined,
  });

  it('stores a job as BullMQ stores it, field for field', async () => {
    const store = createLaneStore(space.redis);
    const ours = laneJob('ours', 1_700_000_000_001);
    const theirs = laneJob('theirs', 1_700_000_000_001);
    expect(await store.store(queue, [ours], options())).toEqual([{ kind: 'added' }]);
    await queue.add('commit', theirs.data, theirs.opts);
    const fields = async (id: string) => {
      const hash = await space.redis.hgetall(queue.toKey(id));
      return { ...hash, data: JSON.parse(hash.data ?? 'null') as CommitJobData };
    };
    const [a, b] = await Promise.all([fields('ours'), fields('theirs')]);
    // The same but for the id, in the data and in the options.
    expect(a).toEqual({
      ...b,
      data: { ...b.data, id: 'ours', commit: { ...b.data.commit, key: 'ours' } },
      opts: (b as { opts?: string }).opts?.replace('"jobId":"theirs"', '"jobId":"ours"'),
    });
    expect(await queue.getJobState('ours')).toBe('waiting');
  });

  it('keeps order and the backlog limit across the scripts of a large store, and skips commits stored or delivered', async () => {
    const store = createLaneStore(space.redis);
    expect(await store.store(queue, [laneJob('j-0', 1)], options())).toEqual([{ kind: 'added' }]);
    await space.redis.set(queue.toKey(`${DELIVERED_MARK}j-1`), '1');
    const jobs = Array.from({ length: 250 }, (_, i) => laneJob(`j-${i}`, 10 + i));
    const outcomes = await store.store(queue, jobs, options(200));
    expect(outcomes.slice(0, 2)).toEqual([{ kind: 'duplicate' }, { kind: 'duplicate' }]);
    // 1 waiting before, 199 added (j-2 to j-200), the rest refused at the limit.
    expect(outcomes.slice(2, 201).every((o) => o.kind === 'added')).toBe(true);
    expect(outcomes.slice(201)).toEqual(
      Array.from({ length: 49 }, () => ({ kind: 'full', backlog: 200 })),
    );
    const waiting = await queue.getWaiting(0, -1);
    expect(waiting.map((j) => j.id)).toEqual([
      'j-0',
      ...Array.from({ length: 199 }, (_, i) => `j-${i + 2}`),
    ]);
  });
});
