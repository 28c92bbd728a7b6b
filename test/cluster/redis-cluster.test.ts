// Scale-out on a real Redis Cluster (three primaries started by the test kit): every commit
// delivered in per-key order with three worker processes, lanes spread over the shards; and a
// load through 1 -> 3 -> 2 worker processes with no configuration change, nothing lost or reordered.
import { defaultTopic, laneOf } from '@commitlog/core';
import { createRedisConnection, dataNodes, type RedisConnection } from '@commitlog/queue';
import {
  freePort,
  startPrivateRedisCluster,
  startSystem,
  testKafkaBrokers,
  uniqueName,
  waitFor,
  type PrivateRedisCluster,
  type RunningSystem,
} from '@commitlog/testkit';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settledJobs } from '../support/delivery-oracle.ts';
import { deliveryProblems, startKeyedLoad } from '../support/keyed-load.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LANES = 8;

/** How many commits one worker process says it delivered (its /metrics). */
async function deliveredBy(port: number): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^commitlog_delivered_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
}

/**
 * A fresh bucket whose keys `k0`..`k<keys-1>` fall in every lane, so that a check that every
 * lane was used tests the system and not the luck of the hash (40 random keys miss one of 8
 * lanes about one time in 26).
 */
function bucketCoveringEveryLane(keys: number): string {
  for (;;) {
    const bucket = `cluster-${uniqueName('c')}`;
    const lanes = new Set(
      Array.from({ length: keys }, (_, i) =>
        laneOf({ bucketType: 'default', bucket, key: `k${i}` }, LANES),
      ),
    );
    if (lanes.size === LANES) return bucket;
  }
}

/** Primaries of the cluster that hold keys of the system's lanes. */
async function shardsHoldingLanes(url: string, prefix: string): Promise<number> {
  const redis: RedisConnection = createRedisConnection({ url, role: 'worker', onError: () => {} });
  try {
    await redis.ping();
    let holding = 0;
    for (const node of dataNodes(redis)) {
      const [, keys] = await node.scan('0', 'MATCH', `${prefix}:{lane-*`, 'COUNT', 10_000);
      if (keys.length > 0) holding++;
    }
    return holding;
  } finally {
    redis.disconnect();
  }
}

describe('scale-out on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster(3);
  });

  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  afterAll(async () => {
    await cluster?.cleanup();
  });

  /** Every answered commit of `bucket` on Kafka in per-key order, and no lane job left over. */
  async function expectEveryCommitDelivered(
    system: RunningSystem,
    bucket: string,
    answered: Parameters<typeof deliveryProblems>[2],
  ): Promise<void> {
    // A send not acknowledged by its settle-by time (a loaded machine: WORKER_LOCK is 4 s here)
    // is abandoned and sent again, though Kafka may have stored it: an in-order replay (README,
    // "Duplicates without a crash"), not a reorder.
    const { problems } = await deliveryProblems(
      system.kafkaBrokers,
      defaultTopic('default', bucket),
      answered,
    );
    expect(problems, problems.slice(0, 3).join('; ')).toEqual([]);
    expect(await settledJobs(system, LANES)).toEqual({ failed: 0, active: 0, waiting: 0 });
  }

  it('delivers every commit in per-key order with 3 workers, lanes on every shard', async () => {
    const bucket = bucketCoveringEveryLane(40);
    system = await startSystem({
      redisUrl: cluster.url,
      workers: 3,
      env: { LANES: String(LANES) },
    });
    const load = startKeyedLoad(system, { bucket, keys: 40, clients: 8, versions: 10 });
    await load.done;
    expect(load.accepted()).toBe(400);

    await expectEveryCommitDelivered(system, bucket, load.answered);
    expect(load.lanes.size).toBe(LANES);
    expect(await shardsHoldingLanes(cluster.url, system.prefix)).toBe(3);

    const lanes = spawnSync(process.execPath, ['apps/cli/src/main.ts', 'lanes'], {
      cwd: root,
      env: { PATH: process.env.PATH, REDIS_URL: cluster.url, QUEUE_PREFIX: system.prefix },
      encoding: 'utf8',
    });
    expect(lanes.stderr).toBe('');
    expect(lanes.stdout).toContain(`lane count: ${LANES} recorded`);
    expect(lanes.stdout).toMatch(/Redis Cluster: lanes on 3 primaries/);

    // One key's lane, given as bytes that are not UTF-8 (the JSON form a commit uses).
    const key = { bucketType: 'default', bucket: 'b/1', key: { base64: 'AP8=' } };
    const one = spawnSync(
      process.execPath,
      ['apps/cli/src/main.ts', 'lanes', '--key', JSON.stringify(key)],
      {
        cwd: root,
        env: { PATH: process.env.PATH, REDIS_URL: cluster.url, QUEUE_PREFIX: system.prefix },
        encoding: 'utf8',
      },
    );
    expect(one.stderr).toBe('');
    expect(one.stdout).toMatch(
      new RegExp(
        `key \\{"base64":"AP8="\\} -> lane ${laneOf(key, LANES)} of ${LANES} \\(\\{[^}]+\\}, slot \\d+, on `,
      ),
    );
  });

  it('keeps per-key order and loses nothing while workers go 1 -> 3 -> 2 under load', async () => {
    const bucket = `scale-${uniqueName('s')}`;
    system = await startSystem({
      redisUrl: cluster.url,
      workers: 1,
      env: { LANES: String(LANES) },
    });
    const load = startKeyedLoad(system, { bucket, keys: 40, clients: 8 });
    try {
      await load.untilAccepted(300);
      const [second, third] = [await system.startWorker(), await system.startWorker()];
      await load.untilAccepted(load.accepted() + 400);
      // Both new workers take lanes' jobs without any change of configuration. Waited for, not
      // read once: a worker that finishes a job takes its lane's next one in the same script, so
      // while the first worker is behind, the lanes pass to the others only as they run empty.
      await waitFor(
        async () => (await deliveredBy(second.port)) > 0 && (await deliveredBy(third.port)) > 0,
        { timeoutMs: 60_000, description: 'both new workers delivering' },
      );
      expect(await system.workers[0]!.stop()).toBe(0);
      await load.untilAccepted(load.accepted() + 300);
    } finally {
      load.stop();
      await load.done;
    }

    await expectEveryCommitDelivered(system, bucket, load.answered);
  });
});

describe('a worker started before its Redis Cluster', () => {
  it('waits, saying so on /readyz, and starts once the cluster is up', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const opsPort = await freePort();
    const worker = spawn(process.execPath, ['apps/worker/src/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        REDIS_URL: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
        KAFKA_BROKERS: testKafkaBrokers().join(','),
        LANES: String(LANES),
        WORKER_PORT: String(opsPort),
        QUEUE_PREFIX: uniqueName('early'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    worker.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let cluster: PrivateRedisCluster | undefined;
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined);
      return response && { status: response.status, body: await response.text() };
    };
    try {
      const waiting = await waitFor(readyz, {
        timeoutMs: 60_000,
        description: 'the worker to answer /readyz',
      });
      expect(waiting.body).toContain('waiting for Redis');
      // Past the 5 s a cluster client is given to find its nodes: it used to exit 1 there.
      await new Promise((resolve) => setTimeout(resolve, 8000));
      expect(worker.exitCode, stderr).toBeNull();
      expect((await readyz())?.body).toContain('waiting for Redis');

      cluster = await startPrivateRedisCluster(3, { ports });
      let last: Awaited<ReturnType<typeof readyz>>;
      await waitFor(
        async () => {
          last = await readyz();
          return last?.status === 200;
        },
        { timeoutMs: 40_000, description: 'the worker ready once the cluster answers' },
      ).catch((error: unknown) => {
        throw new Error(
          `${String(error)}; last /readyz: ${JSON.stringify(last)}; stderr: ${stderr}`,
        );
      });
      expect(worker.exitCode, stderr).toBeNull();
    } finally {
      worker.kill('SIGTERM');
      await new Promise((resolve) =>
        worker.exitCode === null ? worker.once('exit', resolve) : resolve(undefined),
      );
      await cluster?.cleanup();
    }
  }, 90_000);
});
