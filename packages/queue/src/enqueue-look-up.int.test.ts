import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectLaneCountAfterAdds } from './enqueue-look-up.ts';
import { laneChangeKey, LaneCountChangingError } from './lane-change-fence.ts';
import { laneCountKey, LaneCountMismatchError } from './lane-count.ts';
import { withLaneQueue } from './with-lane-queue.ts';

describe('expectLaneCountAfterAdds on the real Redis', () => {
  let space: TestQueuePrefix;

  beforeEach(async () => {
    space = createTestQueuePrefix();
    await space.redis.set(laneCountKey(space.prefix), '16');
  });

  afterEach(async () => {
    await space.cleanup();
  });

  const jobKey = (id: string): string => `${space.prefix}:{lane-0002}:${id}`;

  const addJob = (id: string): Promise<unknown> =>
    withLaneQueue(space.redis, space.prefix, 2, (queue) => {
      expect(queue.toKey(id)).toBe(jobKey(id));
      return queue.add('commit', {} as never, { jobId: id });
    });

  const outcome = (reading: Promise<void>): Promise<unknown> =>
    reading.then(
      () => 'kept',
      (error: unknown) => error,
    );

  it('trusts a reading that found the added jobs, and refuses on what it read', async () => {
    await addJob('stored');
    const adds = Promise.resolve();
    expect(
      await outcome(
        expectLaneCountAfterAdds(space.redis, space.prefix, 16, [jobKey('stored')], adds),
      ),
    ).toBe('kept');
    await space.redis.set(laneChangeKey(space.prefix), '8:someone');
    expect(
      await outcome(
        expectLaneCountAfterAdds(space.redis, space.prefix, 16, [jobKey('stored')], adds),
      ),
    ).toBeInstanceOf(LaneCountChangingError);
  });

  it('reads again once the adds have answered when its reading ran before an add', async () => {
    let answer!: () => void;
    const adds = new Promise<void>((resolve) => (answer = resolve));
    const reading = outcome(
      expectLaneCountAfterAdds(space.redis, space.prefix, 16, [jobKey('late')], adds),
    );
    // Its reading is written on the turn after this one; a PING written behind it answers
    // once Redis has run it, finding no job 'late' and the count unchanged.
    await new Promise((resolve) => setImmediate(resolve));
    await space.redis.ping();
    // Only now does the add run, after a change of the count: the first reading proves nothing.
    await space.redis.set(laneCountKey(space.prefix), '8');
    await addJob('late');
    answer();
    expect(await reading).toBeInstanceOf(LaneCountMismatchError);
  });
});
