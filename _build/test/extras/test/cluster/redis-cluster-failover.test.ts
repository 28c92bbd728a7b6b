// A Redis Cluster with a replica (three primaries started by the test kit, one replica added):
// the start-up safety check judges the primaries of the cluster's slot table, not the nodes
// REDIS_URL happens to name; and a running ingest that sees a failover to a replica set up to
// evict reads its settings again and refuses commits (503) rather than store them there.
import { laneOf } from '@commitlog/core';
import { checkRedisSafety, createRedisConnection, readLaneLocations } from '@commitlog/queue';
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
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('a Redis Cluster with a replica', () => {
  let cluster: PrivateRedisCluster;
  let replica: number;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster(3);
    replica = await cluster.addReplica(cluster.ports[0]!);
  });

  afterAll(async () => {
    await system?.stop();
    await cluster?.cleanup();
  });

  it('judges the primaries of the slot table, whichever nodes REDIS_URL names', async () => {
    const [, named, unnamed] = cluster.ports as [number, number, number];
    expect(redisCliOn(unnamed, 'config', 'set', 'maxmemory-policy', 'allkeys-lru')).toBe('OK');
    // The URL names a replica and one primary, and leaves out the primary that evicts.
    const redis = createRedisConnection({
      url: `redis-cluster://127.0.0.1:${replica},127.0.0.1:${named}`,
      role: 'worker',
      onError: () => undefined,
    });
    try {
      // Asked as a worker asks, once the client has its start-up nodes but before it has read
      // the slot table.
      await once(redis, '+node');
      const safety = await checkRedisSafety(redis);
      expect(safety.problems).toEqual([
        expect.stringMatching(
          new RegExp(`^127\\.0\\.0\\.1:${unnamed}: maxmemory-policy is allkeys-lru`),
        ),
      ]);
      expect(safety.safe).toBe(false);
    } finally {
      redis.disconnect();
      redisCliOn(unnamed, 'config', 'set', 'maxmemory-policy', 'noeviction');
    }
  });

  it('with REDIS_WAIT_REPLICAS, answers 202 for the lanes of the primary with a replica only', async () => {
    // One primary of three has a replica: a lane's commit is answered 202 when its lane lives
    // there, and 503 (stored all the same) elsewhere, WAIT being asked of each lane's own node.
    const prefix = uniqueName('wait');
    const waiting = await startSystem({
      redisUrl: cluster.url,
      workers: 0,
      env: { QUEUE_PREFIX: prefix, LANES: '16' },
      ingestEnv: { REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT: '1500ms' },
    });
    const redis = createRedisConnection({ url: cluster.url, role: 'worker', onError: () => {} });
    try {
      const lanes = Array.from({ length: 16 }, (_, lane) => lane);
      const nodeOf = new Map(
        (await readLaneLocations(redis, prefix, lanes)).map((l) => [l.lane, l.node]),
      );
      const replicated = `127.0.0.1:${cluster.ports[0]}`;
      const bucket = uniqueName('wait');
      const answers: { onReplicated: boolean; status: number }[] = [];
      // Until both kinds of lane were posted to, three times each (a bounded loop: each key
      // lands on the replicated primary about one time in three).
      const seen = (onReplicated: boolean) =>
        answers.filter((a) => a.onReplicated === onReplicated).length;
      for (let i = 0; i < 200 && (seen(true) < 3 || seen(false) < 3); i++) {
        const commit = putCommit({ bucket, key: `k${i}`, value: 'v' });
        const lane = laneOf(commit, 16);
        const answer = await waiting.post(commit);
        answers.push({ onReplicated: nodeOf.get(lane) === replicated, status: answer.status });
      }
      expect(seen(true)).toBeGreaterThanOrEqual(3);
      expect(seen(false)).toBeGreaterThanOrEqual(3);
      for (const a of answers) expect(a.status).toBe(a.onReplicated ? 202 : 503);
    } finally {
      redis.disconnect();
      await waiting.stop();
    }
  });

  it('refuses commits once a replica set up to evict has become a primary', async () => {
    system = await startSystem({ redisUrl: cluster.url, workers: 0 });
    const bucket = uniqueName('failover');
    let n = 0;
    const post = () => system!.post(putCommit({ bucket, key: `k${n++}`, value: 'v' }));
    expect((await post()).status).toBe(202);

    expect(redisCliOn(replica, 'config', 'set', 'maxmemory-policy', 'allkeys-lru')).toBe('OK');
    expect(redisCliOn(replica, 'cluster', 'failover')).toBe('OK');
    await waitFor(() => redisCliOn(replica, 'role').startsWith('master'), {
      timeoutMs: 20_000,
      description: 'the replica to become a primary',
    });
    // Commits of the lanes on that shard meet a MOVED answer, the ingest reads the slot table
    // again, finds another primary there and reads its settings: from then on every store is
    // refused. No /readyz probe runs here to read them for it. Meanwhile a store may be refused
    // as NOSCRIPT by the new primary, which never ran the ingest's script.
    const answers: number[] = [];
    const refused = await waitFor(
      async () => {
        const answer = await post();
        answers.push(answer.status);
        const body = JSON.stringify(answer.body);
        return answer.status === 503 && !body.includes('NOSCRIPT') ? answer : undefined;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: 'a 503 for the policy after the failover',
      },
    );
    expect(answers.filter((status) => status !== 202 && status !== 503)).toEqual([]);
    expect(JSON.stringify(refused.body)).toContain('maxmemory-policy is allkeys-lru');
    // Which node has it is for the log and /readyz: a client's answer names no address.
    expect(JSON.stringify(refused.body)).not.toMatch(/127\.0\.0\.1:\d+/);
  });
});
