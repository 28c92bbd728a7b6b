import type { RedisMemory } from '@commitlog/queue';
import { createLogger } from '@commitlog/runtime';
import { describe, expect, it, vi } from 'vitest';
import {
  INGEST_SHARE_OF_MAXMEMORY,
  RedisNearlyFullError,
  watchRedisMemory,
} from './redis-memory-watch.ts';

const MAX = 1_000_000;

/** A watch on readings the test sets; it reads only when the test calls `check`. */
function watch() {
  let next: RedisMemory | Error = { usedBytes: 0, maxBytes: MAX, node: undefined };
  const logged: string[] = [];
  const logger = createLogger({ service: 'ingest', level: 'silent' });
  logger.warn = ((_fields: unknown, message: string) =>
    void logged.push(`warn ${message}`)) as never;
  logger.info = ((_fields: unknown, message: string) =>
    void logged.push(`info ${message}`)) as never;
  const memory = watchRedisMemory(
    () => (next instanceof Error ? Promise.reject(next) : Promise.resolve(next)),
    logger,
    60_000,
  );
  return {
    memory,
    logged,
    set(value: RedisMemory | Error) {
      next = value;
    },
  };
}

const used = (usedBytes: number, maxBytes = MAX): RedisMemory => ({
  usedBytes,
  maxBytes,
  node: undefined,
});

describe('watchRedisMemory', () => {
  it('refuses from the ingest share of maxmemory on, and admits again below it', async () => {
    const w = watch();
    const share = MAX * INGEST_SHARE_OF_MAXMEMORY;
    w.set(used(share - 1));
    await w.memory.check();
    expect(() => w.memory.checkRoom()).not.toThrow();
    w.set(used(share));
    await w.memory.check();
    expect(() => w.memory.checkRoom()).toThrow(RedisNearlyFullError);
    expect(() => w.memory.checkRoom()).toThrow(
      'Redis uses 95% of its maxmemory (950000 of 1000000 bytes)',
    );
    w.set(used(share - 1));
    await w.memory.check();
    expect(() => w.memory.checkRoom()).not.toThrow();
    expect(w.logged).toEqual([
      expect.stringMatching(/^warn Redis is past 95% of its maxmemory: commits are refused/),
      'info Redis has room again: accepting commits',
    ]);
    w.memory.stop();
  });

  it('admits whatever Redis uses when it has no maxmemory, and before any reading', async () => {
    const w = watch();
    expect(() => w.memory.checkRoom()).not.toThrow();
    w.set(used(50 * MAX, 0));
    await w.memory.check();
    expect(() => w.memory.checkRoom()).not.toThrow();
    w.memory.stop();
  });

  it('keeps the last reading when a reading fails', async () => {
    const w = watch();
    w.set(used(MAX));
    await w.memory.check();
    w.set(new Error('Connection is closed.'));
    await expect(w.memory.check()).rejects.toThrow('Connection is closed.');
    expect(() => w.memory.checkRoom()).toThrow(RedisNearlyFullError);
    w.memory.stop();
  });

  it('names the cluster node that is full', async () => {
    const w = watch();
    w.set({ usedBytes: MAX, maxBytes: MAX, node: '10.0.0.7:6379' });
    await w.memory.check();
    expect(() => w.memory.checkRoom()).toThrow(/^Redis node 10\.0\.0\.7:6379 uses 100% /);
    // A client is told without the address (see queue-refusal.ts).
    let refusal: unknown;
    try {
      w.memory.checkRoom();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(RedisNearlyFullError);
    const told = (refusal as RedisNearlyFullError).clientMessage;
    expect(told).toMatch(/^a Redis node uses 100% /);
    expect(told).not.toContain('10.0.0.7');
    w.memory.stop();
  });

  it('says, once a minute, that it cannot read Redis while its readings fail', async () => {
    vi.useFakeTimers();
    try {
      const warned: string[] = [];
      const logger = createLogger({ service: 'ingest', level: 'silent' });
      logger.warn = ((_fields: unknown, message: string) => void warned.push(message)) as never;
      const memory = watchRedisMemory(() => Promise.reject(new Error('NOPERM')), logger, 500);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(warned).toEqual([expect.stringMatching(/^cannot read Redis's memory/)]);
      await vi.advanceTimersByTimeAsync(31_000);
      expect(warned).toHaveLength(2);
      memory.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
