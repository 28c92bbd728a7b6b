import { CommitlogError } from '@commitlog/core';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { coalesceWrites } from './coalesced-writes.ts';
import { parseRedisAddress } from './redis-address.ts';
import { isSettlingReply } from './redis-settling.ts';

/**
 * Who uses a connection decides how it behaves when Redis is away:
 * - `producer` (the ingest, the CLI, the dashboard): fail fast, so the caller can answer 503 or
 *   exit with a clear message instead of hanging on a queue of offline commands;
 * - `worker`: wait and retry forever, which BullMQ workers require (`maxRetriesPerRequest: null`).
 */
export type RedisRole = 'producer' | 'worker';

/**
 * A primary made a replica (a failover) keeps its clients and answers their writes READONLY: the
 * connection is made again, so that an address that now leads to the new primary (a DNS name, a
 * Sentinel-managed VIP) is followed without a restart. The command that met it fails as it was:
 * the ingest answers 503, the worker's lane tries again.
 */
const reconnectOnReadonly = (error: Error): 1 | false =>
  error.message.startsWith('READONLY') ? 1 : false;

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  // commandTimeout: a Redis that hangs (rather than refusing) must not hang the ingest's answer.
  producer: {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 5000,
    reconnectOnError: reconnectOnReadonly,
  },
  worker: {
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    reconnectOnError: reconnectOnReadonly,
  },
};

export interface RedisConnectionOptions {
  /**
   * `redis://[user:password@]host:port[/db]`, `rediss://…` for TLS, or
   * `redis-cluster://[user:password@]host:port,host:port` for a Redis Cluster (see redis-address.ts).
   */
  url: string;
  role: RedisRole;
  /** Every client must listen for errors, or ioredis crashes the process on the first one. */
  onError: (error: Error) => void;
  /** Shown in `CLIENT LIST`, which helps find who holds a connection. */
  connectionName?: string;
  /**
   * For a TLS address (`rediss://`, `rediss-cluster://`): the PEM certificates of the CA(s) that
   * signed the server's certificate, trusted instead of Node's built-in list. Default: that list.
   */
  tlsCa?: string | undefined;
  /** For a TLS address: a client certificate (PEM) for a Redis that asks for one (mutual TLS). */
  tlsClient?: { cert: string; key: string } | undefined;
}

/**
 * ioredis's TLS options for a single server's URL: none without TLS (`redis://`); with it, the
 * server's certificate is always verified, against `ca` when given. (ioredis reads `rediss://`
 * itself, but an explicit `tls` option is the only way to give it a CA.)
 */
function tlsOptions(
  tls: boolean,
  options: Pick<RedisConnectionOptions, 'tlsCa' | 'tlsClient'>,
): { tls?: { ca?: string; cert?: string; key?: string } } {
  if (!tls) return {};
  return {
    tls: {
      ...(options.tlsCa === undefined ? {} : { ca: options.tlsCa }),
      ...(options.tlsClient ?? {}),
    },
  };
}

const isTlsUrl = (url: string): boolean => /^rediss:/i.test(url.trim());

/** One Redis or a Redis Cluster: both take the same commands; BullMQ works on either. */
export type RedisConnection = Redis | Cluster;

/** Back off up to 2 s between reconnects; never give up (an outage must not need a restart). */
const reconnectDelay = (times: number): number => Math.min(times * 100, 2000);

function createCluster(options: RedisConnectionOptions): Cluster {
  const address = parseRedisAddress(options.url);
  if (address.kind !== 'cluster') throw new RangeError('not a cluster address');
  const { enableOfflineQueue, ...perNode } = ROLE_OPTIONS[options.role];
  const clusterOptions: ClusterOptions = {
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    clusterRetryStrategy: reconnectDelay,
    redisOptions: {
      ...perNode,
      ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
      ...(address.username === undefined ? {} : { username: address.username }),
      ...(address.password === undefined ? {} : { password: address.password }),
      ...tlsOptions(address.tls, options),
    },
  };
  return new Cluster(address.nodes, clusterOptions);
}

/**
 * Redis refused the database the address names (`redis://host:port/<db>`): it has fewer (16, 0 to
 * 15, unless its `databases` setting says more). Not retriable: the address or the server's
 * configuration must change.
 */
export class RedisDatabaseError extends CommitlogError {
  /** The database asked for, as the address wrote it. */
  readonly database: string;

  constructor(database: string, cause: Error) {
    // A Redis running a long script, or still loading, answers SELECT so too: that one ends.
    const settling = isSettlingReply(cause.message);
    const refused = (why: string) =>
      settling
        ? `Redis did not select database ${database} yet${why}: it is busy or still loading; the connection tries again`
        : `Redis refused database ${database}${why}: a Redis has databases 0 to 15 unless its "databases" setting allows more (the database is the /${database} that ends REDIS_URL)`;
    // Redis's reply (an ACL's names the user) is for the log, not for a client's answer.
    super('REDIS_DATABASE_REFUSED', refused(` (${cause.message})`), {
      retriable: settling,
      cause,
      clientMessage: refused(''),
    });
    this.database = database;
  }
}

/**
 * The database of a SELECT that Redis refused, when `error` is that refusal. ioredis marks every
 * error reply with the command it answers, so this reads the command, not the message.
 */
function refusedDatabase(error: Error): string | undefined {
  const command = (error as { command?: { name?: unknown; args?: unknown } }).command;
  if (command?.name !== 'select' || !Array.isArray(command.args)) return undefined;
  return String(command.args[0]);
}

/**
 * Makes a refused SELECT (the `/db` of the address) fail the connection. ioredis sends it while
 * connecting and, on a refusal, only emits `error` and carries on in database 0: the CLI would
 * show, and the ingest and worker would read and write, another data set than the one configured.
 *
 * ioredis emits that `error` from the SELECT's handler inside its connection handshake, and a
 * handler that throws fails the handshake: ioredis's own AUTH handler throws the same way. So the
 * refusal is thrown, and ioredis then treats it as a refused AUTH: every waiting command fails
 * with it, it is emitted again (reaching `onError`), and the client reconnects later (in case
 * Redis is reconfigured), meeting the same refusal until then. Failing the handshake, rather than
 * dropping the connection from here, also stops ioredis's ready check, whose INFO would otherwise
 * wait in the offline queue and keep `quit()` from closing the client.
 */
function failOnRefusedDatabase(client: Redis, onError: (error: Error) => void): void {
  client.on('error', (error: Error) => {
    const database = refusedDatabase(error);
    if (database === undefined) onError(error);
    else throw new RedisDatabaseError(database, error);
  });
}

/**
 * The one factory for Redis clients: every connection in commitlog comes from here. The commands
 * a client sends in one turn of the event loop leave in one write (coalesced-writes.ts).
 */
export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const client =
    parseRedisAddress(options.url).kind === 'cluster'
      ? createCluster(options)
      : new Redis(options.url, {
          ...ROLE_OPTIONS[options.role],
          ...tlsOptions(isTlsUrl(options.url), options),
          ...(options.connectionName === undefined
            ? {}
            : { connectionName: options.connectionName }),
          retryStrategy: reconnectDelay,
        });
  if (client instanceof Redis) failOnRefusedDatabase(client, options.onError);
  else client.on('error', options.onError);
  coalesceWrites(client);
  return client;
}

/** A node's `host:port`, as messages name it (`?` for a part the client does not know). */
export function nodeAddress(node: Redis): string {
  return `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
}

/**
 * The clients of every node that holds data: the primaries of a cluster, or the one Redis. For
 * what must be asked of each node (INFO, SCAN).
 */
export function dataNodes(client: RedisConnection): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
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

/**
 * Whether a Redis (or a cluster) answers PING at `url` within `timeoutMs`, with `tls`'s CA and
 * client certificate for a TLS address. Never throws.
 */
export async function pingRedis(
  url: string,
  timeoutMs = 1000,
  tls: Pick<RedisConnectionOptions, 'tlsCa' | 'tlsClient'> = {},
): Promise<boolean> {
  const client =
    parseRedisAddress(url).kind === 'cluster'
      ? createCluster({ url, role: 'producer', onError: () => undefined, ...tls })
      : new Redis(url, {
          ...tlsOptions(isTlsUrl(url), tls),
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          connectTimeout: timeoutMs,
          retryStrategy: () => null,
        });
  client.on('error', () => undefined);
  try {
    if (client instanceof Redis) await client.connect();
    else await whenFirstConnected(client, timeoutMs);
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Deletes every key matching a glob pattern, in batches (SCAN, never KEYS), on every node of a
 * cluster. Returns the count.
 */
export async function deleteKeysMatching(
  client: RedisConnection,
  pattern: string,
): Promise<number> {
  let deleted = 0;
  for (const node of dataNodes(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      // One UNLINK per key, pipelined: on a cluster node the keys of a batch lie in many slots.
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.unlink(key);
      for (const [error, n] of (await pipeline.exec()) ?? []) {
        if (error) throw error;
        deleted += Number(n);
      }
    } while (cursor !== '0');
  }
  return deleted;
}
