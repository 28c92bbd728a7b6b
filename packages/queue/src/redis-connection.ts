import { Redis, type RedisOptions } from 'ioredis';

/**
 * Who uses a connection decides how it behaves when Redis is away:
 * - `producer` (the ingest, the CLI, the dashboard): fail fast, so the caller can answer 503 or
 *   exit with a clear message instead of hanging on a queue of offline commands;
 * - `worker`: wait and retry forever, which BullMQ workers require (`maxRetriesPerRequest: null`).
 */
export type RedisRole = 'producer' | 'worker';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  // commandTimeout: a Redis that hangs (rather than refusing) must not hang the ingest's answer.
  producer: {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 5000,
  },
  worker: { enableOfflineQueue: true, maxRetriesPerRequest: null, connectTimeout: 5000 },
};

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  url: string;
  role: RedisRole;
  /** Every client must listen for errors, or ioredis crashes the process on the first one. */
  onError: (error: Error) => void;
  /** Shown in `CLIENT LIST`, which helps find who holds a connection. */
  connectionName?: string;
}

export type RedisConnection = Redis;

/** The one factory for Redis clients: every connection in commitlog comes from here. */
export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const client = new Redis(options.url, {
    ...ROLE_OPTIONS[options.role],
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
    // Back off up to 2 s between reconnects; never give up (an outage must not need a restart).
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
  client.on('error', options.onError);
  return client;
}

/**
 * Waits, at most `timeoutMs`, for a client that is still making its first connection. A client
 * that has been connected and lost Redis is not waited for: fail-fast callers answer at once.
 */
export async function whenFirstConnected(
  client: RedisConnection,
  timeoutMs: number,
): Promise<void> {
  if (client.status !== 'connecting' && client.status !== 'connect' && client.status !== 'wait') {
    return;
  }
  if (client.status === 'wait') client.connect().catch(() => undefined);
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('end', done);
      client.off('reconnecting', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    client.once('ready', done);
    client.once('end', done);
    client.once('reconnecting', done);
  });
}

/** Whether a Redis answers PING at `url` within `timeoutMs`. Never throws. */
export async function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Deletes every key matching a glob pattern, in batches (SCAN, never KEYS). Returns the count. */
export async function deleteKeysMatching(
  client: RedisConnection,
  pattern: string,
): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
