// `commitlog redrive` on a real Redis Cluster (three primaries started by the test kit): a re-drive
// is one script that runs BullMQ's own reprocess inside it (packages/queue/src/redrive.ts), taken
// from the scripts BullMQ loaded onto the connection, and sent to the node of the lane's slot.
// The commit fails for good with `expired` (Kafka is down, COMMIT_TTL is 2 s), then goes back.
import { laneOf, parseCommit } from '@commitlog/core';
import { createRedisConnection, laneQueueName, type RedisConnection } from '@commitlog/queue';
import {
  freePort,
  putCommit,
  startPrivateRedisCluster,
  startSystem,
  uniqueName,
  waitFor,
  type PrivateRedisCluster,
  type RunningSystem,
} from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LANES = 8;

describe('a re-drive on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let system: RunningSystem | undefined;
  let redis: RedisConnection | undefined;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster(3);
  });

  afterAll(async () => {
    redis?.disconnect();
    await system?.stop();
    await cluster?.cleanup();
  });

  it('moves an expired delivery back to its lane, whole, on its lane’s node', async () => {
    const deadKafka = [`127.0.0.1:${await freePort()}`];
    system = await startSystem({
      redisUrl: cluster.url,
      kafkaBrokers: deadKafka,
      env: { COMMIT_TTL: '2s', LANES: String(LANES) },
    });
    redis = createRedisConnection({ url: cluster.url, role: 'worker', onError: () => {} });
    const bucket = uniqueName('cluster-redrive');
    const commit = putCommit({ bucket, key: 'k' });
    const lane = laneOf(parseCommit(commit), LANES);
    const response = await system.post(commit);
    expect(response.status).toBe(202);
    const { id } = response.body as { id: string };
    const jobKey = `${system.prefix}:${laneQueueName(lane)}:${id}`;
    await waitFor(() => redis!.hget(jobKey, 'failedReason'), {
      timeoutMs: 30_000,
      description: 'the commit to expire',
    });
    // Stopped, so that the re-driven commit stays where the re-drive put it.
    await system.workers[0]!.stop();

    const redrive = spawnSync(
      process.execPath,
      ['apps/cli/src/main.ts', 'redrive', '--reason', 'expired'],
      {
        cwd: root,
        env: { PATH: process.env.PATH, REDIS_URL: cluster.url, QUEUE_PREFIX: system.prefix },
        encoding: 'utf8',
      },
    );
    expect(redrive.stderr).toBe('');
    expect(redrive.stdout.trim()).toBe('redrive: 1 re-driven');
    expect(redrive.status).toBe(0);

    const queueKey = (name: string) => `${system!.prefix}:${laneQueueName(lane)}:${name}`;
    expect(await redis.lrange(queueKey('wait'), 0, -1)).toContain(id);
    expect(await redis.zscore(queueKey('failed'), id)).toBeNull();
    expect(await redis.hget(jobKey, 'failedReason')).toBeNull();
    const data = JSON.parse((await redis.hget(jobKey, 'data')) ?? '{}') as { redrivenAt?: string };
    expect(data.redrivenAt).toEqual(expect.any(String));
    expect(await redis.hget(jobKey, 'progress')).toBe('{}');
  });
});
