import {
  checkRedisSafety,
  dataNodes,
  nodeAddress,
  type RedisConnection,
  type RedisSafety,
  type RedisSafetyRules,
  UnsafeRedisError,
} from '@commitlog/queue';
import type { Logger } from '@commitlog/runtime';

/**
 * What the ingest last learned of its Redis' settings. Start-up refuses an unsafe Redis, but
 * Redis can change under a running ingest (it was down at start-up, a failover to a replica set
 * up differently, a `CONFIG SET`): the settings are read again on every (re)connection and every
 * `/readyz`, and while the last reading says unsafe, commits are refused with 503.
 *
 * A reading is sent as soon as a connection is ready, and the enqueuer asks `admit` before each
 * store: a store that would start while that reading is still on its way waits for it. Without
 * the wait, commits that had waited for Redis to come up (or that arrived right after a
 * reconnection to a node set up differently) were stored, and answered 202, in a Redis the
 * reading then found unsafe.
 *
 * A Redis Cluster is ready once, not at each failover: a replica made primary (set up
 * differently, say with an evicting policy) changes no connection state. So a cluster's settings
 * are read again whenever its slot table, read again by the client after a MOVED answer or a lost
 * node, names other primaries than at the last reading.
 */
export interface RedisSafetyWatch {
  /**
   * The last reading applied (the one started last among those answered), or undefined before
   * the first one succeeded.
   */
  current(): RedisSafety | undefined;
  /** Reads the settings now (rejects when Redis does not answer). */
  check(): Promise<RedisSafety>;
  /**
   * Resolves when commits may be stored now; rejects (UnsafeRedisError) while the last reading
   * says unsafe. Waits for a reading on its way. Until one reading has succeeded, it reads the
   * settings itself, and rejects with that reading's error: a commit is never stored in a Redis
   * whose settings were not read (one refusing INFO, or whose reading at a reconnection failed),
   * since that Redis may evict it.
   */
  admit(): Promise<void>;
  stop(): void;
}

/**
 * `rules`: what the Redis must have beyond the fixed ones (`REDIS_REQUIRE_AOF`); `read` reads the
 * settings, by default `checkRedisSafety` on `connection` with `rules`.
 */
export function watchRedisSafety(
  connection: RedisConnection,
  logger: Logger,
  rules: RedisSafetyRules = {},
  read: () => Promise<RedisSafety> = () => checkRedisSafety(connection, rules),
): RedisSafetyWatch {
  let last: RedisSafety | undefined;
  /** The reading sent when the connection last became ready, until it is answered. */
  let reading: Promise<unknown> | undefined;
  /**
   * Readings are numbered as they start; `applied` is the number of the one `last` comes from
   * (or of the failed one that cleared it). A reading that finishes after a newer one was
   * applied is not: it may describe the Redis before a failover between the two (a `/readyz`
   * reading sent just before a Cluster failover, answered after the reading it set off), and
   * admit would judge by it.
   */
  let started = 0;
  let applied = 0;

  /** Applies the outcome of reading `number` if none started later has been; says whether. */
  function apply(number: number, outcome: RedisSafety | undefined): boolean {
    if (number <= applied) return false;
    applied = number;
    last = outcome;
    return true;
  }

  async function readNumbered(number: number): Promise<RedisSafety> {
    const safety = await read();
    const before = last;
    if (!apply(number, safety)) return safety;
    if (!safety.safe && before?.safe !== false) {
      logger.error(
        { problems: safety.problems },
        'UNSAFE REDIS: commits are refused (503) until Redis is set up so that it cannot lose them',
      );
    } else if (safety.safe && before?.safe === false) {
      logger.info('Redis is set up safely again: accepting commits');
    }
    return safety;
  }

  const check = (): Promise<RedisSafety> => readNumbered(++started);

  /** The primaries as of the last reading sent: a cluster's, by address. */
  let primaries = '';
  const primariesNow = (): string => dataNodes(connection).map(nodeAddress).sort().join(',');

  const onReady = (): void => {
    primaries = primariesNow();
    const number = ++started;
    const sent: Promise<unknown> = readNumbered(number)
      .catch((err: unknown) => {
        // The connection may now reach another Redis (a failover behind a DNS name): what was
        // read of the last one says nothing of it, and `admit` reads the settings itself.
        if (apply(number, undefined)) {
          logger.warn({ err }, 'could not read Redis settings; commits wait for a reading');
        } else {
          // A newer reading stands, and commits go by it.
          logger.debug({ err }, 'an older reading of the Redis settings failed after a newer one');
        }
      })
      .finally(() => {
        if (reading === sent) reading = undefined;
      });
    reading = sent;
  };
  const onRefresh = (): void => {
    // Before the cluster is ready, its first slot table is read on the way to 'ready', which
    // reads the settings anyway.
    if (connection.status !== 'ready' || primariesNow() === primaries) return;
    onReady();
    logger.info({ primaries }, 'the Redis Cluster has other primaries: reading their settings');
  };
  connection.on('ready', onReady);
  connection.on('refresh', onRefresh);
  /** admit's own reading while none has succeeded, until it is answered. */
  let firstReading: Promise<RedisSafety> | undefined;

  return {
    current: () => last,
    check,
    async admit() {
      if (reading) await reading;
      // Until a reading is applied: one that succeeds after a newer one failed (a reconnection
      // meanwhile) is not, and says nothing of the Redis now reached.
      while (last === undefined) {
        // One reading for every store that waits on it, not one each.
        firstReading ??= check().finally(() => (firstReading = undefined));
        await firstReading;
      }
      if (!last.safe) throw new UnsafeRedisError(last);
    },
    stop() {
      connection.off('ready', onReady);
      connection.off('refresh', onRefresh);
    },
  };
}
