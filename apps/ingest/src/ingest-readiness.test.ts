import { judgeRedisInfo } from '@commitlog/queue';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createIngestReadiness } from './ingest-readiness.ts';

const SAFE_INFO = 'maxmemory_policy:noeviction\naof_enabled:1\nredis_version:7.0.15';

type Deps = Parameters<typeof createIngestReadiness>[0];

/** A probe on a Redis that answers, is safe and records this ingest's 16 lanes, unless overridden. */
function probeWith(overrides: Partial<Deps> = {}) {
  return createIngestReadiness({
    ping: () => Promise.resolve('PONG'),
    checkSafety: () => Promise.resolve(judgeRedisInfo(SAFE_INFO)),
    lanes: 16,
    readLaneCount: () => Promise.resolve(16),
    waitReplicas: 0,
    ...overrides,
  });
}

describe('ingest readiness', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is ready when Redis answers, is safe and records the same lane count', async () => {
    expect(await probeWith()()).toEqual({
      ready: true,
      checks: { redis: { ok: true }, redisSafety: { ok: true }, laneCount: { ok: true } },
    });
  });

  it('is ready when no lane count is recorded yet', async () => {
    const readiness = await probeWith({ readLaneCount: () => Promise.resolve(undefined) })();
    expect(readiness.ready).toBe(true);
    expect(readiness.checks.laneCount).toEqual({ ok: true });
  });

  it('is not ready when Redis records another lane count, and names both numbers', async () => {
    const readiness = await probeWith({ lanes: 16, readLaneCount: () => Promise.resolve(64) })();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.redis).toEqual({ ok: true });
    expect(readiness.checks.redisSafety).toEqual({ ok: true });
    expect(readiness.checks.laneCount?.ok).toBe(false);
    expect(readiness.checks.laneCount?.detail).toContain('LANES=16');
    expect(readiness.checks.laneCount?.detail).toContain('LANES=64');
  });

  it('is not ready when the lane count cannot be read', async () => {
    const readiness = await probeWith({
      readLaneCount: () => Promise.reject(new Error('Connection is closed.')),
    })();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.laneCount).toEqual({
      ok: false,
      detail: expect.stringContaining('Connection is closed') as unknown,
    });
  });

  it('answers not ready within its timeout when the lane count read hangs', async () => {
    vi.useFakeTimers();
    const answer = probeWith({ readLaneCount: () => new Promise<never>(() => undefined) })();
    await vi.advanceTimersByTimeAsync(2000);
    const readiness = await answer;
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.laneCount).toEqual({
      ok: false,
      detail: expect.stringContaining('took longer than') as unknown,
    });
  });

  it('answers within one timeout when every read is slow, not one timeout after another', async () => {
    vi.useFakeTimers();
    // Each reply 1.5 s late: one after another, PING then INFO, it took 3 s, the pods' limit.
    const late = <T>(value: T) =>
      new Promise<T>((resolve) => setTimeout(() => resolve(value), 1500));
    const answer = probeWith({
      ping: () => late('PONG'),
      checkSafety: () => late(judgeRedisInfo(SAFE_INFO)),
      readLaneCount: () => late(16),
    })();
    let settled = false;
    void answer.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(1500);
    expect(settled).toBe(true);
    expect((await answer).ready).toBe(true);
  });

  it('is not ready when Redis does not answer', async () => {
    const probe = probeWith({
      ping: () => Promise.reject(new Error('Connection is closed.')),
      checkSafety: () => Promise.reject(new Error('unreachable')),
      readLaneCount: () => Promise.reject(new Error('unreachable')),
    });
    const readiness = await probe();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.redis).toEqual({
      ok: false,
      detail: expect.stringContaining('Connection is closed') as unknown,
    });
  });

  it('is not ready on a Redis that may evict, and names the problem', async () => {
    const probe = probeWith({
      checkSafety: () =>
        Promise.resolve(judgeRedisInfo('maxmemory_policy:allkeys-lru\naof_enabled:1')),
    });
    const readiness = await probe();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.redisSafety?.detail).toContain('allkeys-lru');
  });

  it('is not ready when Redis settings cannot be read', async () => {
    const readiness = await probeWith({
      checkSafety: () => Promise.reject(new Error('NOPERM')),
    })();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.redisSafety).toEqual({
      ok: false,
      detail: expect.stringContaining('NOPERM') as unknown,
    });
  });

  it('shows warnings (AOF off) without failing', async () => {
    const probe = probeWith({
      checkSafety: () =>
        Promise.resolve(judgeRedisInfo('maxmemory_policy:noeviction\naof_enabled:0')),
    });
    const readiness = await probe();
    expect(readiness.ready).toBe(true);
    expect(readiness.checks.redisDurability).toEqual({
      ok: true,
      detail: expect.stringContaining('appendonly is off') as unknown,
    });
  });

  describe('with REDIS_WAIT_REPLICAS', () => {
    const withReplicas = (count: number) => () =>
      Promise.resolve(judgeRedisInfo(`${SAFE_INFO}\nrole:master\nconnected_slaves:${count}`));

    it('is not ready while fewer replicas are connected than every store waits for', async () => {
      const readiness = await probeWith({ waitReplicas: 2, checkSafety: withReplicas(1) })();
      expect(readiness.ready).toBe(false);
      expect(readiness.checks.redisReplicas).toEqual({
        ok: false,
        detail:
          'REDIS_WAIT_REPLICAS=2 but the primary has 1 replica connected: every commit would be answered 503 once REDIS_WAIT_TIMEOUT ran out',
      });
    });

    it('is ready with as many replicas connected, or more', async () => {
      for (const connected of [2, 3]) {
        const readiness = await probeWith({
          waitReplicas: 2,
          checkSafety: withReplicas(connected),
        })();
        expect(readiness).toMatchObject({ ready: true, checks: { redisReplicas: { ok: true } } });
      }
    });

    it('is not ready when Redis does not say how many replicas it has', async () => {
      const readiness = await probeWith({ waitReplicas: 1 })();
      expect(readiness.ready).toBe(false);
      expect(readiness.checks.redisReplicas?.detail).toContain('INFO replication');
    });

    it('checks no replicas when no store waits for any', async () => {
      const readiness = await probeWith({ waitReplicas: 0, checkSafety: withReplicas(0) })();
      expect(readiness.ready).toBe(true);
      expect(readiness.checks.redisReplicas).toBeUndefined();
    });
  });
});
