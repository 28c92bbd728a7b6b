import type { RedisConnection } from '@commitlog/queue';
import { withTimeout } from '@commitlog/runtime';

/**
 * A Redis read for a probe or a scrape on the worker's connection, which queues commands while
 * Redis is away and retries them forever: it asks nothing while the connection is not up, waits
 * at most `timeoutMs` for the answer, and a call that comes while an earlier read still waits
 * shares that read instead of queueing another. Rejects when the read cannot answer in time.
 */
export function boundedRedisRead<T>(
  connection: RedisConnection,
  read: () => Promise<T>,
  timeoutMs: number,
  what: string,
): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (connection.status !== 'ready') {
      return Promise.reject(new Error(`connection is ${connection.status}`));
    }
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return withTimeout(pending, timeoutMs, what);
  };
}
