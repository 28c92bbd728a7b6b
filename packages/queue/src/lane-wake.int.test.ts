// The wake-up marker BullMQ's move to active leaves a lane, on the pinned BullMQ and the real
// Redis: a delivery that leaves its lane empty drops it, so a commit that finds its lane idle
// costs the worker one wait and one move to active, not two of each; a commit stored afterwards
// still wakes the worker.
import { openLaneSpace, type LaneSpace } from '../test/lane-space.ts';
import { monitorRedis } from '../test/redis-monitor.ts';
import { waitFor } from '@commitlog/testkit';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommitJobData } from './commit-job.ts';
import { laneQueueName } from './lane-queue-name.ts';
import type { LaneJob, LaneOutcome } from './lane-workers.ts';

function job(n: number): CommitJobData {
  return {
    id: `c-${n}`,
    lane: 2,
    commit: { bucketType: 'default', bucket: 'b', key: `k${n}`, op: 'put', siblings: [] },
    receivedAt: new Date().toISOString(),
  };
}

describe("a lane's wake-up marker, on the real Redis", () => {
  let lanes: LaneSpace;
  let queue: Queue;
  /** The worker's waits for the lane's marker (BZPOPMIN), as Redis saw them issued. */
  let waits: number;

  beforeEach(async () => {
    lanes = openLaneSpace();
    queue = new Queue(laneQueueName(2), { connection: lanes.producer, prefix: lanes.space.prefix });
    lanes.onClose(() => queue.close());
    waits = 0;
    const marker = queue.toKey('marker');
    const monitor = await monitorRedis(lanes.space.redisUrl, ([command, key]) => {
      if (command?.toUpperCase() === 'BZPOPMIN' && key === marker) waits++;
    });
    lanes.onClose(() => Promise.resolve(monitor.stop()));
  });

  afterEach(async () => {
    await lanes.close();
  });

  it('costs a commit that finds its lane idle one wait, and each one stored later still wakes it', async () => {
    const calls: string[] = [];
    await lanes.startWorkers(
      [2],
      (j: LaneJob): Promise<LaneOutcome> => {
        calls.push(j.id);
        return Promise.resolve({ kind: 'delivered', followers: j.followers.length });
      },
      { maxJobs: 9, maxBytes: 1024 * 1024 },
    );
    const commits = 10;
    for (let n = 0; n < commits; n++) {
      await lanes.enqueuer.enqueue(job(n));
      // Within BullMQ's drainDelay (5 s), after which a waiting worker looks without being
      // woken: a commit stored with no wake-up would still be delivered, only after it.
      await waitFor(async () => (await queue.getJob(`c-${n}`)) === undefined, {
        description: `c-${n} delivered before the worker's wait ran out`,
        timeoutMs: 4000,
      });
    }
    expect(calls).toEqual(Array.from({ length: commits }, (_, n) => `c-${n}`));
    // One wait per commit, and the first; with the marker left, two per commit (the second
    // woken at once by it, for a move to active that finds nothing).
    expect(waits).toBeLessThanOrEqual(commits + 2);
  });
});
