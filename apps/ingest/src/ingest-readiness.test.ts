import { judgeRedisInfo } from '@commitlog/queue';
import { describe, expect, it } from 'vitest';
import { createIngestReadiness } from './ingest-readiness.ts';

const SAFE_INFO = 'maxmemory_policy:noeviction\naof_enabled:1\nredis_version:7.0.15';

describe('ingest readiness', () => {
  it('is ready when Redis answers and is safe', async () => {
    const probe = createIngestReadiness({
      ping: () => Promise.resolve('PONG'),
      checkSafety: () => Promise.resolve(judgeRedisInfo(SAFE_INFO)),
    });
    expect(await probe()).toEqual({
      ready: true,
      checks: { redis: { ok: true }, redisSafety: { ok: true } },
    });
  });

  it('is not ready when Redis does not answer', async () => {
    const probe = createIngestReadiness({
      ping: () => Promise.reject(new Error('Connection is closed.')),
      checkSafety: () => Promise.reject(new Error('unreachable')),
    });
    const readiness = await probe();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.redis).toEqual({
      ok: false,
      detail: expect.stringContaining('Connection is closed') as unknown,
    });
  });

  it('is not ready on a Redis that may evict, and names the problem', async () => {
    const probe = createIngestReadiness({
      ping: () => Promise.resolve('PONG'),
      checkSafety: () =>
        Promise.resolve(judgeRedisInfo('maxmemory_policy:allkeys-lru\naof_enabled:1')),
    });
    const readiness = await probe();
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.redisSafety?.detail).toContain('allkeys-lru');
  });

  it('shows warnings (AOF off) without failing', async () => {
    const probe = createIngestReadiness({
      ping: () => Promise.resolve('PONG'),
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
});
