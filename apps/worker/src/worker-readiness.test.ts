import { createRedisConnection, type RedisConnection } from '@commitlog/queue';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { workerReadiness } from './worker-readiness.ts';

const SAFE_INFO = 'maxmemory_policy:noeviction\naof_enabled:1\nredis_version:7.0.15';
const kafkaUp = { isConnected: () => true, reach: () => Promise.resolve(true) };

/**
 * A connected Redis (as ioredis sees it) whose INFO replies are `answer`'s; `calls` counts them.
 * `checkRedisSafety` asks such a client directly (it is its own only node).
 */
function fakeRedis(answer: () => Promise<string>): {
  connection: RedisConnection;
  calls: () => number;
} {
  let calls = 0;
  const connection = {
    status: 'ready',
    info: () => {
      calls += 1;
      return answer();
    },
  } as unknown as RedisConnection;
  return { connection, calls: () => calls };
}

describe('worker readiness', () => {
  const opened: RedisConnection[] = [];
  afterEach(() => {
    vi.useRealTimers();
    for (const connection of opened.splice(0)) connection.disconnect();
  });

  it('is ready when Redis answers and is safe', async () => {
    const { connection } = fakeRedis(() => Promise.resolve(SAFE_INFO));
    const readiness = await workerReadiness(connection, kafkaUp)();
    expect(readiness.ready).toBe(true);
    expect(readiness.checks.redis).toEqual({ ok: true });
    expect(readiness.checks.redisSafety).toEqual({ ok: true });
  });

  it('is not ready when the recorded lane count differs from its LANES, and says which lanes wait', async () => {
    const { connection } = fakeRedis(() => Promise.resolve(SAFE_INFO));
    const check = (recorded: number | undefined) =>
      workerReadiness(connection, kafkaUp, {
        laneCount: { lanes: 2, read: () => Promise.resolve(recorded) },
      })();
    const higher = await check(4);
    expect(higher.ready).toBe(false);
    expect(higher.checks.laneCount).toEqual({
      ok: false,
      detail:
        'LANES=2 but the queues in this Redis are now made with LANES=4: commits in lanes 2-3 ' +
        'wait for no worker; restart this worker with LANES=4',
    });
    const lower = await check(1);
    expect(lower.ready).toBe(false);
    expect(lower.checks.laneCount?.detail).toBe(
      'LANES=2 but the queues in this Redis are now made with LANES=1; restart this worker with LANES=1',
    );
    expect((await check(2)).ready).toBe(true);
    expect((await check(undefined)).checks.laneCount).toEqual({ ok: true });
  });

  it('is not ready on a Redis that may evict, and names the problem', async () => {
    const { connection } = fakeRedis(() =>
      Promise.resolve('maxmemory_policy:allkeys-lru\naof_enabled:1'),
    );
    const readiness = await workerReadiness(connection, kafkaUp)();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.redisSafety?.detail).toContain('allkeys-lru');
  });

  it('answers not ready, with a reason, when a connected Redis does not reply', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { connection } = fakeRedis(() => new Promise<never>(() => undefined));
    const answer = workerReadiness(connection, kafkaUp)();
    await vi.advanceTimersByTimeAsync(2000);
    const readiness = await answer;
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.redis).toEqual({
      ok: false,
      detail: expect.stringContaining('Redis does not answer') as unknown,
    });
    expect(readiness.checks.kafka).toEqual({ ok: true });
  });

  it('shares a check still waiting for Redis instead of queueing another', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { connection, calls } = fakeRedis(() => new Promise<never>(() => undefined));
    const probe = workerReadiness(connection, kafkaUp);
    const first = probe();
    await vi.advanceTimersByTimeAsync(2000);
    expect((await first).ready).toBe(false);
    const asked = calls();
    expect(asked).toBeGreaterThan(0);
    const second = probe();
    await vi.advanceTimersByTimeAsync(2000);
    expect((await second).ready).toBe(false);
    expect(calls()).toBe(asked);
  });

  it('answers not ready until Kafka is reached, connecting an idle worker, and ready through a later loss', async () => {
    const { connection } = fakeRedis(() => Promise.resolve(SAFE_INFO));
    let brokerUp = false;
    let connected = false;
    let reaches = 0;
    // An idle worker sends nothing: only readiness's asking connects it.
    const producer = {
      isConnected: () => connected,
      reach: () => {
        reaches++;
        connected = brokerUp;
        return Promise.resolve(connected);
      },
    };
    const probe = workerReadiness(connection, producer);
    const never = await probe();
    expect(never.ready).toBe(false);
    expect(never.checks.kafka?.detail).toMatch(/^not connected since the worker started/);
    brokerUp = true;
    expect((await probe()).ready).toBe(true);
    expect(reaches).toBe(2);
    connected = false;
    const lost = await probe();
    expect(lost.ready).toBe(true);
    expect(lost.checks.kafka).toEqual({
      ok: false,
      detail: 'not connected; deliveries are retried',
    });
    expect(reaches).toBe(2);
  });

  it('does not wait on a connection to Kafka that hangs: not ready, asked once', async () => {
    const { connection } = fakeRedis(() => Promise.resolve(SAFE_INFO));
    let reaches = 0;
    const producer = {
      isConnected: () => false,
      reach: () => {
        reaches++;
        return new Promise<boolean>(() => undefined);
      },
    };
    const probe = workerReadiness(connection, producer, { timeoutMs: 20 });
    expect((await probe()).ready).toBe(false);
    expect((await probe()).checks.kafka?.ok).toBe(false);
    expect(reaches).toBe(1);
  });

  it('answers not ready while the worker connection cannot reach Redis', async () => {
    const connection = createRedisConnection({
      url: 'redis://127.0.0.1:1',
      role: 'worker',
      onError: () => undefined,
    });
    opened.push(connection);
    const readiness = await workerReadiness(connection, {
      isConnected: () => false,
      reach: () => Promise.resolve(false),
    })();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.redis?.ok).toBe(false);
    expect(readiness.checks.redis?.detail).toContain('Redis does not answer');
    expect(readiness.checks.kafka?.ok).toBe(false);
  }, 20_000);
});
