// SIGTERM to a worker under load, at a moment it holds a job: it stops taking jobs, finishes
// what it holds, flushes Kafka and exits 0; the other worker delivers the rest; nothing is lost
// or failed, and nothing it held is left to stall (a stop that dropped its job in hand would
// pass every other check here: the job would come back after WORKER_LOCK, delivered by the other).
import { defaultTopic } from '@commitlog/core';
import { createRedisConnection, stallRecords } from '@commitlog/queue';
import { startSystem, uniqueName, waitFor, type RunningSystem } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAdmin } from './support/kafka-check.ts';
import { deliveredBy, lostCommits, settledJobs } from './support/delivery-oracle.ts';
import { postLoad } from './support/load.ts';
import { stopHoldingAJob, workerName } from './support/worker-hold.ts';

describe('a worker stopped with SIGTERM', () => {
  let system: RunningSystem;
  const bucket = uniqueName('graceful');
  const topic = defaultTopic('default', bucket);

  beforeAll(async () => {
    system = await startSystem({ workers: 2, env: { LANES: '8', LOG_LEVEL: 'info' } });
    await withAdmin(system.kafkaBrokers, (a) => a.createTopic(topic, { partitions: 2 }));
  });

  afterAll(async () => {
    if (!system) return;
    await system.stop();
    await withAdmin(system.kafkaBrokers, (a) => a.deleteTopics([topic]));
  });

  it('exits 0 after finishing its work, and nothing is lost or failed', async () => {
    const leaving = system.workers[0]!;
    // Ten seconds of load: as long as the search for a moment it holds a job may take.
    const load = postLoad(system, { bucket, total: 1000, perSecond: 100 });
    // Stopped while it delivers: it has delivered some of the load, and more is coming.
    await waitFor(async () => (await deliveredBy(leaving)) > 0, {
      description: 'the leaving worker delivering',
    });
    const redis = createRedisConnection({
      url: system.redisUrl,
      role: 'worker',
      onError: () => undefined,
    });
    try {
      // Held still with a job in hand, then told to stop: the stop begins with that job held.
      expect(await stopHoldingAJob(redis, system.prefix, 8, leaving, 10_000)).toBe(true);
      leaving.signal('SIGTERM');
      leaving.signal('SIGCONT');
      expect(await leaving.exited).toBe(0);
      expect(leaving.output()).toContain('"msg":"shut down"');

      const { accepted } = await load;
      expect(accepted).toHaveLength(1000);
      expect(await lostCommits(system.kafkaBrokers, topic, accepted)).toEqual([]);
      const unfinished = await settledJobs(system, 8);
      expect(unfinished.failed).toBe(0);
      expect(unfinished.active).toBe(0);
      // Everything it held was finished by it, not found stalled after its lock ran out.
      const stalls = await stallRecords(redis, system.prefix, 100);
      expect(stalls.map((s) => s.worker)).not.toContain(workerName(leaving.pid));
    } finally {
      redis.disconnect();
    }
  });
});
