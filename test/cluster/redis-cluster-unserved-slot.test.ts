// Roles started while a slot of their Redis Cluster is served by no primary, as happens for a
// few seconds while a cluster forms (its nodes answer INFO, and its first writes are refused
// with CLUSTERDOWN or MOVED until they agree). The slot is the lane count's, which both roles
// write at start-up: they wait for it instead of exiting, and start once it is served again.
import { defaultTopic } from '@commitlog/core';
import { laneCountKey, readLaneCount, createRedisConnection } from '@commitlog/queue';
import {
  putCommit,
  redisCliOn,
  startPrivateRedisCluster,
  startSystem,
  uniqueName,
  waitFor,
  type PrivateRedisCluster,
  type RunningSystem,
} from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lostCommits, unfinishedJobs } from '../support/delivery-oracle.ts';

const LANES = 8;

describe("roles started while the lane count's slot is not served", () => {
  let cluster: PrivateRedisCluster;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster(3);
  });

  afterAll(async () => {
    await system?.stop();
    await cluster?.cleanup();
  });

  it('wait for it, refusing commits with 503, and start once it is served', async () => {
    const ports = cluster.ports;
    // The hash tag puts every prefix's lane count on this one slot.
    const slot = redisCliOn(ports[0]!, 'cluster', 'keyslot', laneCountKey('any'));
    // Still `ok` with a slot unserved, as a forming cluster's first node can be: the roles'
    // client then reads a slot table and is ready, and only the writes are refused.
    for (const port of ports) {
      expect(redisCliOn(port, 'config', 'set', 'cluster-require-full-coverage', 'no')).toBe('OK');
    }
    for (const port of ports) redisCliOn(port, 'cluster', 'delslots', slot);
    await waitFor(
      () =>
        ports.every((port) =>
          redisCliOn(port, 'cluster', 'info').includes('cluster_slots_assigned:16383'),
        ),
      { timeoutMs: 20_000, description: 'every node to see the slot unserved' },
    );

    system = await startSystem({ redisUrl: cluster.url, workers: 0, env: { LANES: '8' } });
    const worker = await system.startWorker();
    let workerExit: number | null | undefined;
    void worker.exited.then((code) => (workerExit = code));
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${worker.port}/readyz`);
      return { status: response.status, body: await response.text() };
    };
    const bucket = uniqueName('slot');
    const commit = putCommit({ bucket, key: 'k1', value: 'v1' });

    const refused = await system.post(commit);
    expect(refused.status).toBe(503);
    expect(JSON.stringify(refused.body)).toContain('QUEUE_UNAVAILABLE');
    // Longer than ioredis's own retries of a refused write (16 redirections, 100 ms apart).
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(workerExit, worker.output()).toBeUndefined();
    expect((await readyz()).body).toContain('waiting for Redis');

    expect(redisCliOn(ports[0]!, 'cluster', 'addslots', slot)).toBe('OK');
    const accepted = await waitFor(
      async () => {
        const answer = await system!.post(commit);
        return answer.status === 202 && answer;
      },
      { timeoutMs: 30_000, description: 'the ingest to store the commit once the slot is served' },
    );
    expect(accepted.status).toBe(202);
    await waitFor(async () => (await readyz()).status === 200, {
      timeoutMs: 40_000,
      description: 'the worker ready once the slot is served',
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- worker output ---\n${worker.output()}`);
    });
    await waitFor(
      async () => {
        const left = await unfinishedJobs(system!, LANES);
        return left.failed + left.active + left.waiting === 0;
      },
      { timeoutMs: 30_000, description: 'the commit delivered' },
    );
    expect(workerExit, worker.output()).toBeUndefined();
    // Delivered means on Kafka, not only gone from its lane.
    const { id } = accepted.body as { id: string };
    expect(await lostCommits(system.kafkaBrokers, defaultTopic('default', bucket), [id])).toEqual(
      [],
    );

    const redis = createRedisConnection({ url: cluster.url, role: 'worker', onError: () => {} });
    try {
      expect(await readLaneCount(redis, system.prefix)).toBe(LANES);
    } finally {
      redis.disconnect();
    }
  }, 150_000);
});
