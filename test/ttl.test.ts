// A commit that cannot reach Kafka within its TTL fails for good with reason `expired`, and stays
// visible as a failed job (never silently dropped).
import { createRedisConnection, laneQueueName } from '@commitlog/queue';
import {
  freePort,
  putCommit,
  uniqueName,
  waitFor,
  startSystem,
  type RunningSystem,
} from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('commit TTL', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    // Nothing listens on this port: Kafka is down for the whole test.
    const deadKafka = [`127.0.0.1:${await freePort()}`];
    system = await startSystem({ kafkaBrokers: deadKafka, env: { COMMIT_TTL: '3s' } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('fails the job with reason expired once the TTL has passed', async () => {
    const response = await system.post(putCommit({ bucket: uniqueName('ttl'), key: 'late' }));
    expect(response.status).toBe(202);
    const { id, lane } = response.body as { id: string; lane: number };
    const redis = createRedisConnection({
      url: system.redisUrl,
      role: 'worker',
      onError: () => {},
    });
    try {
      const jobKey = `${system.prefix}:${laneQueueName(lane)}:${id}`;
      const reason = await waitFor(() => redis.hget(jobKey, 'failedReason'), {
        timeoutMs: 30_000,
        description: 'the job to fail',
      });
      expect(reason).toMatch(/^expired: /);
      const failedSet = `${system.prefix}:${laneQueueName(lane)}:failed`;
      expect(await redis.zscore(failedSet, id)).not.toBeNull();
    } finally {
      redis.disconnect();
    }
  });
});
