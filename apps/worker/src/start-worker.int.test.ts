// A worker started while its Redis is away: alive and saying what it waits for, then delivering
// once Redis answers. A running worker whose lane count another process changed: not ready, and
// its metrics show the lanes it does not read. A lane that lost its one-job-at-a-time limit: set
// again. A topic given more partitions: said. Real Redis and the real Kafka broker.
import {
  claimLaneCount,
  createCommitEnqueuer,
  createRedisConnection,
  laneQueueName,
  topicPartitionsKey,
  type RedisConnection,
} from '@commitlog/queue';
import { createLogger, loadWorkerConfig } from '@commitlog/runtime';
import { createKafkaAdmin } from '@commitlog/kafka';
import {
  captureLogLines,
  createTestQueuePrefix,
  createTestTopic,
  freePort,
  startPrivateRedis,
  testKafkaBrokers,
  testRedisUrl,
  uniqueName,
  waitFor,
  type PrivateRedis,
  type TestQueuePrefix,
} from '@commitlog/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from './start-worker.ts';

/** A worker of two lanes on `redisUrl` and the test broker, its ops server on `port`. */
function twoLaneConfig(redisUrl: string, port: number, prefix: string) {
  return loadWorkerConfig({
    REDIS_URL: redisUrl,
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    LANES: '2',
    WORKER_PORT: String(port),
    QUEUE_PREFIX: prefix,
  });
}

const silent = () => createLogger({ service: 'worker', level: 'silent' });

describe('a worker started before its Redis', () => {
  let redis: PrivateRedis | undefined;
  let worker: RunningWorker | undefined;

  afterEach(async () => {
    await worker?.close();
    await redis?.stop();
    await redis?.cleanup();
  });

  it('answers /healthz and a /readyz that names Redis while it waits, and starts once Redis is up', async () => {
    redis = await startPrivateRedis();
    await redis.stop();
    const port = await freePort();
    const config = twoLaneConfig(redis.url, port, `start-wait-${process.pid}-${Date.now()}`);
    const starting = startWorker(config, silent());
    const ops = `http://127.0.0.1:${port}`;

    const waiting = await waitFor(
      async () => {
        const response = await fetch(`${ops}/readyz`).catch(() => undefined);
        return response && { status: response.status, body: await response.text() };
      },
      { description: 'the ops server while start-up waits for Redis' },
    );
    expect(waiting.status).toBe(503);
    expect(waiting.body).toContain('waiting for Redis');
    expect((await fetch(`${ops}/healthz`)).status).toBe(200);
    // Its metrics exist while it waits: a worker that runs is no absent worker to the alerts, and
    // its lanes, never read yet, are stale (read at time 0) rather than missing.
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    expect(metrics).toMatch(/^commitlog_delivered_total\{[^}]*\} 0$/m);
    expect(metrics).toMatch(/^commitlog_lane_backlog_read_timestamp_seconds\{[^}]*\} 0$/m);

    await redis.start();
    worker = await starting;
    expect(worker.opsPort).toBe(port);
    await waitFor(async () => (await fetch(`${ops}/readyz`)).status === 200, {
      description: 'ready once Redis answers',
    });
  }, 60_000);

  it('answers /readyz 503 with a stopping check from the moment its stop begins', async () => {
    redis = await startPrivateRedis();
    const port = await freePort();
    const running = await startWorker(
      twoLaneConfig(redis.url, port, `stopping-${process.pid}-${Date.now()}`),
      silent(),
    );
    worker = running;
    const ops = `http://127.0.0.1:${port}`;
    expect((await fetch(`${ops}/readyz`)).status).toBe(200);

    // A frozen Redis holds the lane workers' close, so the stop is under way while /readyz is asked.
    const pid = redis.pid()!;
    process.kill(pid, 'SIGSTOP');
    let stopped: Promise<void>;
    try {
      stopped = running.close();
      const response = await fetch(`${ops}/readyz`);
      expect({ status: response.status, body: await response.json() }).toEqual({
        status: 503,
        body: {
          ready: false,
          checks: {
            stopping: { ok: false, detail: 'stopping: finishing the work in hand, then exiting' },
          },
        },
      });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await stopped;
  }, 60_000);
});

describe('a running worker whose LANES another process changed', () => {
  let worker: RunningWorker | undefined;
  let other: RedisConnection | undefined;

  afterEach(async () => {
    await worker?.close();
    await other?.quit();
  });

  it('reports itself not ready and shows the lanes it does not read, which hold commits', async () => {
    const prefix = uniqueName('lanes-changed');
    const port = await freePort();
    worker = await startWorker(twoLaneConfig(testRedisUrl(), port, prefix), silent());
    const ops = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${ops}/readyz`)).status === 200, {
      description: 'ready with the count it recorded',
    });
    const metric = (text: string, name: string): string | undefined =>
      text.split('\n').find((line) => line.startsWith(name));
    const before = await (await fetch(`${ops}/metrics`)).text();
    expect(metric(before, 'commitlog_lane_count_mismatch')).toBe(
      'commitlog_lane_count_mismatch{service="worker"} 0',
    );
    // Redis runs on this host: its clock and the worker's agree within a second.
    const offset = metric(before, 'commitlog_clock_offset_seconds')?.split(' ')[1];
    expect(Math.abs(Number(offset))).toBeLessThan(1);

    // An ingest started with LANES=4 while both lanes were empty: it may change the count, and
    // then files commits in lanes 2 and 3, which this worker does not read.
    other = createRedisConnection({
      url: testRedisUrl(),
      role: 'worker', // waits for the connection instead of failing the first command
      onError: () => undefined,
    });
    const claim = await claimLaneCount(other, prefix, 4);
    expect(claim.changedFrom).toBe(2);
    const enqueuer = createCommitEnqueuer({
      connection: other,
      prefix,
      maxLaneBacklog: 100,
      lanes: 4,
    });
    const commit = {
      bucketType: 'default',
      bucket: 'b',
      key: 'k',
      op: 'put' as const,
      siblings: [],
    };
    await enqueuer.enqueue({
      id: 'in-lane-3',
      lane: 3,
      commit,
      receivedAt: new Date().toISOString(),
    });
    await enqueuer.close();

    const readyz = await fetch(`${ops}/readyz`);
    expect(readyz.status).toBe(503);
    const body = (await readyz.json()) as {
      checks: Record<string, { ok: boolean; detail?: string }>;
    };
    expect(body.checks.laneCount).toEqual({
      ok: false,
      detail:
        'LANES=2 but the queues in this Redis are now made with LANES=4: commits in lanes 2-3 ' +
        'wait for no worker; restart this worker with LANES=4',
    });
    const after = await (await fetch(`${ops}/metrics`)).text();
    expect(metric(after, 'commitlog_lane_count_mismatch')).toBe(
      'commitlog_lane_count_mismatch{service="worker"} 1',
    );
    expect(metric(after, 'commitlog_lane_backlog_commits{lane="3"')).toBe(
      'commitlog_lane_backlog_commits{lane="3",service="worker"} 1',
    );
  }, 60_000);
});

describe('a running worker whose lane lost its one-job-at-a-time limit', () => {
  let worker: RunningWorker | undefined;
  let space: TestQueuePrefix | undefined;

  afterEach(async () => {
    await worker?.close();
    await space?.cleanup();
  });

  it('sets it again and names the lane in an error line', async () => {
    space = createTestQueuePrefix();
    const sink = captureLogLines();
    worker = await startWorker(
      twoLaneConfig(space.redisUrl, await freePort(), space.prefix),
      createLogger({ service: 'worker', level: 'info', destination: sink }),
      undefined,
      { laneLimitCheckMs: 100 },
    );
    const meta = `${space.prefix}:${laneQueueName(1)}:meta`;
    expect(await space.redis.hget(meta, 'concurrency')).toBe('1');
    await space.redis.hdel(meta, 'concurrency');
    const line = await waitFor(() => sink.lines.find((l) => l.code === 'LANE_LIMIT_RESTORED'), {
      description: 'the LANE_LIMIT_RESTORED line',
    });
    expect(line).toMatchObject({ level: 'error', lanes: [1] });
    expect(await space.redis.hget(meta, 'concurrency')).toBe('1');
  }, 60_000);
});

describe('a running worker whose topic was given more partitions', () => {
  let worker: RunningWorker | undefined;
  let space: TestQueuePrefix | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    await worker?.close();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await space?.cleanup();
  });

  it('says so in an error line naming the topic, and counts it', async () => {
    space = createTestQueuePrefix();
    const topic = await createTestTopic({ prefix: 'riak.default.partitions' });
    cleanups.push(() => topic.cleanup());
    const bucket = topic.name.slice('riak.default.'.length);
    const sink = captureLogLines();
    const port = await freePort();
    worker = await startWorker(
      twoLaneConfig(space.redisUrl, port, space.prefix),
      createLogger({ service: 'worker', level: 'info', destination: sink }),
      undefined,
      { partitionCheckMs: 100 },
    );
    const enqueuer = createCommitEnqueuer({
      connection: space.redis,
      prefix: space.prefix,
      maxLaneBacklog: 100,
      lanes: 2,
    });
    cleanups.push(() => enqueuer.close());
    const deliver = (id: string) =>
      enqueuer.enqueue({
        id,
        lane: 0,
        commit: { bucketType: 'default', bucket, key: id, op: 'put', siblings: [] },
        receivedAt: new Date().toISOString(),
      });
    const recorded = () => space!.redis.hget(topicPartitionsKey(space!.prefix), topic.name);

    await deliver('first');
    // Seen once: recorded, nothing to say.
    await waitFor(async () => (await recorded()) === '1', { description: 'the count recorded' });
    const admin = await createKafkaAdmin(topic.connection);
    cleanups.push(() => admin.close());
    await admin.addPartitions(topic.name, 3);
    await deliver('second');
    const line = await waitFor(
      () => sink.lines.find((l) => l.code === 'TOPIC_PARTITIONS_CHANGED'),
      { description: 'the TOPIC_PARTITIONS_CHANGED line' },
    );
    expect(line).toMatchObject({
      level: 'error',
      topic: topic.name,
      partitionsBefore: 1,
      partitions: 3,
    });
    expect(await recorded()).toBe('3');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('commitlog_topic_partition_changes_total{service="worker"} 1');
  }, 60_000);
});
