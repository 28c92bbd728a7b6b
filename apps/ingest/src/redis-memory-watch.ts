import { CommitlogError } from '@commitlog/core';
import type { RedisMemory } from '@commitlog/queue';
import { throttledWarn, type Logger } from '@commitlog/runtime';

/**
 * The share of Redis's `maxmemory` past which the ingest stores no more commits; the rest is the
 * workers'. At `maxmemory` Redis refuses the BullMQ script that takes a job from its lane (its
 * first write moves the job), so the workers could deliver nothing, and free nothing, even once
 * Kafka was back: the commits waited until someone raised `maxmemory`. Delivering a commit frees
 * its job (kilobytes) and leaves a mark of about 220 bytes, so the workers' own writes fit the rest.
 */
export const INGEST_SHARE_OF_MAXMEMORY = 0.95;

/**
 * How often Redis's memory is read, ms: commits stored between two readings may pass the share
 * (at 2,000 commits/s of 3.4 KB, 3.4 MB in half a second; 5 % of a Redis sized as the README
 * says is hundreds of MB).
 */
export const MEMORY_READ_EVERY_MS = 500;

/** Redis is past the ingest's share of its `maxmemory` (a 503: the hooks retry). */
export class RedisNearlyFullError extends CommitlogError {
  constructor(memory: RedisMemory) {
    const percent = Math.floor((memory.usedBytes / memory.maxBytes) * 100);
    const full = (where: string) =>
      `${where} uses ${percent}% of its maxmemory (${memory.usedBytes} of ${memory.maxBytes} bytes): ` +
      `past ${INGEST_SHARE_OF_MAXMEMORY * 100}% the ingest stores no more commits, and leaves the rest to the workers delivering those it holds`;
    super(
      'REDIS_NEARLY_FULL',
      full(memory.node === undefined ? 'Redis' : `Redis node ${memory.node}`),
      {
        retriable: true,
        clientMessage: full(memory.node === undefined ? 'Redis' : 'a Redis node'),
      },
    );
  }
}

export interface RedisMemoryWatch {
  /** Throws `RedisNearlyFullError` while the last reading is past the ingest's share. */
  checkRoom(): void;
  /** Reads now (rejects when Redis does not answer; the last reading then stands). */
  check(): Promise<RedisMemory>;
  /** The last reading, if any. */
  last(): RedisMemory | undefined;
  stop(): void;
}

function isNearlyFull(memory: RedisMemory): boolean {
  return memory.maxBytes > 0 && memory.usedBytes >= memory.maxBytes * INGEST_SHARE_OF_MAXMEMORY;
}

/**
 * Reads Redis's memory every `everyMs` and says whether commits may be stored: a check made from
 * the last reading, so that storing a commit costs no round trip for it. A reading that fails
 * leaves the last one standing (a Redis that does not answer refuses the store by itself), and
 * is logged at most once a minute.
 */
export function watchRedisMemory(
  read: () => Promise<RedisMemory>,
  logger: Logger,
  everyMs = MEMORY_READ_EVERY_MS,
): RedisMemoryWatch {
  let last: RedisMemory | undefined;
  let reading: Promise<RedisMemory> | undefined;

  function check(): Promise<RedisMemory> {
    reading ??= read()
      .then((memory) => {
        const wasFull = last !== undefined && isNearlyFull(last);
        const full = isNearlyFull(memory);
        if (full && !wasFull) {
          logger.warn(
            memory,
            `Redis is past ${INGEST_SHARE_OF_MAXMEMORY * 100}% of its maxmemory: commits are refused (503) until the workers have delivered enough of what it holds, or maxmemory is raised`,
          );
        } else if (wasFull && !full) {
          logger.info(memory, 'Redis has room again: accepting commits');
        }
        last = memory;
        return memory;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  }

  // While readings fail, the last one stands and the guard may be off: said once a minute.
  const warn = throttledWarn(logger, 60_000);
  const timer = setInterval(
    () =>
      void check().catch((err: unknown) =>
        warn(
          'memory',
          { err },
          "cannot read Redis's memory: commits are admitted on the last reading until it answers",
        ),
      ),
    everyMs,
  );
  timer.unref();

  return {
    checkRoom() {
      if (last !== undefined && isNearlyFull(last)) throw new RedisNearlyFullError(last);
    },
    check,
    last: () => last,
    stop() {
      clearInterval(timer);
    },
  };
}
