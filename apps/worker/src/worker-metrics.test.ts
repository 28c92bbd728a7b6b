import {
  createRedisConnection,
  DeliveryNotRecordedError,
  type LaneBacklog,
  type RedisConnection,
} from '@commitlog/queue';
import { createMetricsRegistry } from '@commitlog/runtime';
import { waitFor } from '@commitlog/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerMetrics, MAX_TOPICS_NAMED } from './worker-metrics.ts';

/** A connection that ioredis calls ready; the backlog reader is stubbed, so nothing is sent. */
const connected = { status: 'ready' } as unknown as RedisConnection;

function backlogOf(
  lane: number,
  waiting: number,
  oldestWaitingAgeMs?: number,
  paused = false,
  failed = 0,
  oldestFailedAgeMs?: number,
): LaneBacklog {
  return { lane, waiting, active: 0, failed, oldestWaitingAgeMs, oldestFailedAgeMs, paused };
}

/** The metrics of a worker of lane 0 whose lanes read empty, in a registry of their own. */
function oneLaneMetrics() {
  const registry = createMetricsRegistry('worker');
  const metrics = createWorkerMetrics({
    registry,
    connection: connected,
    prefix: 'test',
    lanes: [0],
    readBacklogs: () => Promise.resolve([]),
  });
  return { registry, metrics };
}

describe('worker metrics', () => {
  const opened: RedisConnection[] = [];
  afterEach(() => {
    for (const connection of opened.splice(0)) connection.disconnect();
  });

  it('shows each lane’s backlog and oldest waiting age, read at the scrape', async () => {
    const registry = createMetricsRegistry('worker');
    createWorkerMetrics({
      registry,
      connection: connected,
      prefix: 'test',
      lanes: [0, 1],
      failedRetentionMs: 14 * 86_400_000,
      readBacklogs: () =>
        Promise.resolve([backlogOf(0, 3, 1500), backlogOf(1, 0, undefined, true, 4, 86_400_000)]),
    });
    const text = await registry.metrics();
    expect(text).toContain('commitlog_lane_backlog_commits{lane="0",service="worker"} 3');
    expect(text).toContain('commitlog_lane_backlog_commits{lane="1",service="worker"} 0');
    expect(text).toContain('commitlog_lane_oldest_waiting_seconds{lane="0",service="worker"} 1.5');
    expect(text).toContain('commitlog_lane_paused{lane="0",service="worker"} 0');
    expect(text).toContain('commitlog_lane_paused{lane="1",service="worker"} 1');
    expect(text).toContain('commitlog_lane_failed_commits{lane="0",service="worker"} 0');
    expect(text).toContain('commitlog_lane_failed_commits{lane="1",service="worker"} 4');
    expect(text).toContain('commitlog_lane_oldest_failed_seconds{lane="0",service="worker"} 0');
    expect(text).toContain('commitlog_lane_oldest_failed_seconds{lane="1",service="worker"} 86400');
    expect(text).toContain('commitlog_failed_retention_seconds{service="worker"} 1209600');
  });

  it('exports each known failure reason at 0 from the start, so the first failure is an increase', async () => {
    const { registry, metrics } = oneLaneMetrics();
    const before = await registry.metrics();
    for (const reason of ['expired', 'too-large', 'forbidden-topic', 'invalid-record', 'poison']) {
      expect(before).toContain(`commitlog_failed_total{reason="${reason}",service="worker"} 0`);
    }
    metrics.failed(0, 'too-large');
    const after = await registry.metrics();
    expect(after).toContain('commitlog_failed_total{reason="too-large",service="worker"} 1');
    expect(after).toContain('commitlog_failed_total{reason="expired",service="worker"} 0');
  });

  it('names the topic of each failed attempt, up to MAX_TOPICS_NAMED topics, then "other"', async () => {
    const { registry, metrics } = oneLaneMetrics();
    const series = (topic: string, reason: string) =>
      `commitlog_delivery_errors_by_topic_total{topic="${topic}",reason="${reason}",service="worker"}`;
    metrics.retried(0, 'topic-authorization-failed', 'riak.default.payments');
    metrics.retried(0, 'topic-authorization-failed', 'riak.default.payments');
    metrics.failed(0, 'too-large', 'riak.default.payments');
    // A job that cannot be made into a record has no topic: counted by reason only.
    metrics.failed(0, 'poison');
    let lines = (await registry.metrics()).split('\n');
    expect(lines).toContain(`${series('riak.default.payments', 'topic-authorization-failed')} 2`);
    expect(lines).toContain(`${series('riak.default.payments', 'too-large')} 1`);
    expect(lines.filter((l) => l.includes('reason="poison"') && l.includes('by_topic'))).toEqual(
      [],
    );
    // The retries' own counter keeps no topic, so that its series exist before a first failure.
    expect(lines).toContain(
      'commitlog_retries_total{reason="topic-authorization-failed",service="worker"} 2',
    );
    for (let i = 1; i < MAX_TOPICS_NAMED; i++) metrics.retried(0, 'kafka-unavailable', `t${i}`);
    metrics.retried(0, 'kafka-unavailable', 'one.too.many');
    metrics.retried(0, 'kafka-unavailable', 'riak.default.payments');
    lines = (await registry.metrics()).split('\n');
    expect(lines).toContain(`${series(`t${MAX_TOPICS_NAMED - 1}`, 'kafka-unavailable')} 1`);
    expect(lines).toContain(`${series('other', 'kafka-unavailable')} 1`);
    expect(lines.some((l) => l.includes('one.too.many'))).toBe(false);
    // A topic named before the cap keeps its name after it.
    expect(lines).toContain(`${series('riak.default.payments', 'kafka-unavailable')} 1`);
  });

  it('counts lane worker errors by a code of few values, never by their messages', async () => {
    const { registry, metrics } = oneLaneMetrics();
    const count = (code: string) => `commitlog_lane_errors_total{code="${code}",service="worker"}`;
    expect((await registry.metrics()).split('\n')).toContain(`${count('DELIVERY_NOT_RECORDED')} 0`);
    // What ioredis rejects with when Redis answers an error: a ReplyError, without a code.
    const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
    const noperm = reply("NOPERM this user has no permissions to run the 'eval' command");
    metrics.laneError(new DeliveryNotRecordedError('c0ffee', 3, noperm));
    metrics.laneError(noperm);
    metrics.laneError(reply('OOM command not allowed when used memory > maxmemory.'));
    metrics.laneError(
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6379'), { code: 'ECONNREFUSED' }),
    );
    metrics.laneError(new Error('Connection is closed.'));
    metrics.laneError(reply('lowercase reply text'));
    const lines = (await registry.metrics()).split('\n');
    const text = lines.join('\n');
    expect(lines).toContain(`${count('DELIVERY_NOT_RECORDED')} 1`);
    expect(lines).toContain(`${count('NOPERM')} 1`);
    expect(lines).toContain(`${count('OOM')} 1`);
    expect(lines).toContain(`${count('ECONNREFUSED')} 1`);
    expect(lines).toContain(`${count('OTHER')} 2`);
    expect(lines).toContain(`${count('LOCK_LOST')} 0`);
    expect(text).not.toContain('10.0.0.7');
  });

  it('covers the lanes of a higher recorded count, and says that the counts differ', async () => {
    const registry = createMetricsRegistry('worker');
    let recorded: number | undefined = 4;
    const asked: number[][] = [];
    createWorkerMetrics({
      registry,
      connection: connected,
      prefix: 'test',
      lanes: [0, 1],
      readLaneCount: () => Promise.resolve(recorded),
      readBacklogs: (_c, _p, lanes) => {
        asked.push([...lanes]);
        return Promise.resolve(lanes.map((lane) => backlogOf(lane, lane === 3 ? 5 : 0)));
      },
    });
    const text = await registry.metrics();
    expect(asked).toEqual([[0, 1, 2, 3]]);
    expect(text).toContain('commitlog_lane_backlog_commits{lane="3",service="worker"} 5');
    expect(text).toContain('commitlog_lane_count_mismatch{service="worker"} 1');
    recorded = 2;
    expect(await registry.metrics()).toContain('commitlog_lane_count_mismatch{service="worker"} 0');
    expect(asked[1]).toEqual([0, 1]);
  });

  it('answers without the backlog, keeping its last values, when Redis does not reply', async () => {
    const registry = createMetricsRegistry('worker');
    let reads = 0;
    let reply: () => Promise<LaneBacklog[]> = () => Promise.resolve([backlogOf(0, 7)]);
    let now = 1_700_000_000_000;
    const metrics = createWorkerMetrics({
      registry,
      connection: connected,
      prefix: 'test',
      lanes: [0],
      backlogTimeoutMs: 50,
      now: () => now,
      readBacklogs: () => {
        reads += 1;
        return reply();
      },
    });
    metrics.delivered(0, 20);
    metrics.delivered(0, NaN); // a job whose time in its lane does not parse: counted, not timed
    expect(await registry.metrics()).toContain(
      'commitlog_lane_backlog_commits{lane="0",service="worker"} 7',
    );

    reply = () => new Promise<never>(() => undefined);
    now += 60_000;
    const text = await registry.metrics();
    expect(text).toContain('commitlog_lane_backlog_commits{lane="0",service="worker"} 7');
    // The reading is as old as the last answer: a stale backlog can be told from a flat one.
    expect(text).toContain(
      'commitlog_lane_backlog_read_timestamp_seconds{service="worker"} 1700000000',
    );
    expect(text).toContain('commitlog_delivered_total{service="worker"} 2');
    expect(text).toContain('commitlog_commit_to_kafka_seconds_count{service="worker"} 1');
    expect(text).toMatch(/^commitlog_process_cpu_user_seconds_total\{service="worker"\} /m);
    expect(reads).toBe(2);

    // The next scrape shares the reading still under way rather than queueing another.
    await registry.metrics();
    expect(reads).toBe(2);
  });

  it('shows a reading that came after its scrape stopped waiting at the next scrape, one reading at a time', async () => {
    // As at 4,096 lanes: a reading that takes 2.5 s against a 2 s wait (scaled down here).
    const registry = createMetricsRegistry('worker');
    let now = 1_700_000_000_000;
    let reads = 0;
    let running = 0;
    let mostRunning = 0;
    createWorkerMetrics({
      registry,
      connection: connected,
      prefix: 'test',
      lanes: [0],
      backlogTimeoutMs: 20,
      now: () => now,
      readBacklogs: async () => {
        reads += 1;
        mostRunning = Math.max(mostRunning, ++running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        running -= 1;
        return [backlogOf(0, 9)];
      },
    });
    const lane0 = 'commitlog_lane_backlog_commits{lane="0",service="worker"}';
    // The first scrape stops waiting at 20 ms; a second one at once shares the same reading.
    expect(await registry.metrics()).not.toContain(lane0);
    expect(await registry.metrics()).not.toContain(lane0);
    expect(reads).toBe(1);
    await waitFor(() => running === 0 && reads === 1, { description: 'the late reading' });
    now += 15_000;
    // The next scrape shows it (and starts the next reading, late again).
    const text = await registry.metrics();
    expect(text).toContain(`${lane0} 9`);
    expect(text).toContain(
      'commitlog_lane_backlog_read_timestamp_seconds{service="worker"} 1700000000',
    );
    expect(reads).toBe(2);
    expect(mostRunning).toBe(1);
  });

  it('reads the lanes a batch of 32 at a time', async () => {
    const registry = createMetricsRegistry('worker');
    const asked: number[][] = [];
    let running = 0;
    let mostRunning = 0;
    createWorkerMetrics({
      registry,
      connection: connected,
      prefix: 'test',
      lanes: Array.from({ length: 100 }, (_, lane) => lane),
      readBacklogs: async (_c, _p, lanes) => {
        asked.push([...lanes]);
        mostRunning = Math.max(mostRunning, ++running);
        await Promise.resolve();
        running -= 1;
        return lanes.map((lane) => backlogOf(lane, lane));
      },
    });
    const text = await registry.metrics();
    expect(asked.map((lanes) => [lanes[0], lanes.length])).toEqual([
      [0, 32],
      [32, 32],
      [64, 32],
      [96, 4],
    ]);
    expect(mostRunning).toBe(1);
    expect(text).toContain('commitlog_lane_backlog_commits{lane="99",service="worker"} 99');
  });

  it('answers while the worker connection cannot reach Redis', async () => {
    const connection = createRedisConnection({
      url: 'redis://127.0.0.1:1',
      role: 'worker',
      onError: () => undefined,
    });
    opened.push(connection);
    const registry = createMetricsRegistry('worker');
    const metrics = createWorkerMetrics({ registry, connection, prefix: 'test', lanes: [0, 1] });
    metrics.failed(0, 'too-large');
    const text = await registry.metrics();
    expect(text).toContain('commitlog_failed_total{reason="too-large",service="worker"} 1');
    expect(text).toMatch(/^commitlog_process_cpu_user_seconds_total\{service="worker"\} /m);
  }, 20_000);
});
