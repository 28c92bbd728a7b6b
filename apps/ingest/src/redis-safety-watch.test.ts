import { UnsafeRedisError, type RedisConnection, type RedisSafety } from '@commitlog/queue';
import { createLogger } from '@commitlog/runtime';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { watchRedisSafety } from './redis-safety-watch.ts';

const SAFE: RedisSafety = {
  safe: true,
  problems: [],
  warnings: [],
  maxmemoryPolicy: 'noeviction',
  aofEnabled: true,
  redisVersion: '7.4.0',
  connectedReplicas: 1,
};
const UNSAFE: RedisSafety = {
  ...SAFE,
  safe: false,
  problems: ['maxmemory-policy is allkeys-lru: Redis may evict accepted commits'],
  maxmemoryPolicy: 'allkeys-lru',
};

/**
 * A watch on a stand-in connection (it emits 'ready' when the test says) whose readings the test
 * answers one by one, in any order.
 */
function watch() {
  const connection = Object.assign(new EventEmitter(), { status: 'ready', options: {} });
  const readings: PromiseWithResolvers<RedisSafety>[] = [];
  const logged: string[] = [];
  const logger = createLogger({ service: 'ingest', level: 'silent' });
  for (const level of ['error', 'warn', 'info', 'debug'] as const) {
    logger[level] = (fields: unknown, message?: string) =>
      void logged.push(`${level} ${message ?? String(fields)}`);
  }
  const safety = watchRedisSafety(connection as unknown as RedisConnection, logger, {}, () => {
    const reading = Promise.withResolvers<RedisSafety>();
    readings.push(reading);
    return reading.promise;
  });
  /** Reading `n` (from 1, in the order they started). */
  const nth = (n: number): PromiseWithResolvers<RedisSafety> => {
    const reading = readings[n - 1];
    if (reading === undefined) throw new Error(`reading ${n} has not started`);
    return reading;
  };
  return { connection, safety, readings, nth, logged };
}

describe('watchRedisSafety', () => {
  it('keeps a newer reading when an older one finishes after it', async () => {
    const w = watch();
    // A /readyz reading sent before a failover, answered after the reading the reconnection
    // sent to the new primary.
    const probe = w.safety.check();
    w.connection.emit('ready');
    w.nth(2).resolve(UNSAFE);
    w.nth(1).resolve(SAFE);
    // Its caller still gets what it read.
    expect(await probe).toBe(SAFE);
    expect(w.safety.current()).toBe(UNSAFE);
    await expect(w.safety.admit()).rejects.toBeInstanceOf(UnsafeRedisError);
    expect(w.logged).toEqual([expect.stringMatching(/^error UNSAFE REDIS/)]);
    w.safety.stop();
  });

  it('keeps a newer reading when an older one at a reconnection fails after it', async () => {
    const w = watch();
    w.connection.emit('ready');
    const probe = w.safety.check();
    w.nth(2).resolve(SAFE);
    await probe;
    w.nth(1).reject(new Error('Connection is closed.'));
    // Not "commits wait": they go by the newer reading.
    await expect
      .poll(() => w.logged)
      .toContain('debug an older reading of the Redis settings failed after a newer one');
    expect(w.logged).not.toContain(
      'warn could not read Redis settings; commits wait for a reading',
    );
    expect(w.safety.current()).toBe(SAFE);
    await w.safety.admit();
    // Admitted by the reading it had, without reading again.
    expect(w.readings).toHaveLength(2);
    w.safety.stop();
  });

  it('reads again when its own first reading is overtaken by a newer one that failed', async () => {
    const w = watch();
    const admitted = w.safety.admit();
    // A reconnection while admit's reading is on its way; its reading fails.
    w.connection.emit('ready');
    w.nth(2).reject(new Error('Connection is closed.'));
    w.nth(1).resolve(SAFE);
    // What admit read came from before the reconnection: it reads the settings again.
    await expect.poll(() => w.readings.length).toBe(3);
    w.nth(3).resolve(UNSAFE);
    await expect(admitted).rejects.toBeInstanceOf(UnsafeRedisError);
    w.safety.stop();
  });
});
