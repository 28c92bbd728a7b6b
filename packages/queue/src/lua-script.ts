import { createHash } from 'node:crypto';
import type { RedisConnection } from './redis-connection.ts';

/**
 * A Lua script sent by its SHA-1 (EVALSHA), and in full only when the Redis node does not know it
 * yet (NOSCRIPT: a new or restarted server, or a cluster node it was never sent to). The scripts
 * run on hot paths (once per lane per ingest flush, once per delivered job): EVAL would send and
 * hash the whole text every time.
 */
export interface LuaScript {
  run(
    connection: RedisConnection,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown>;
  /** Sends the script by its SHA-1 only: a Redis that does not know it answers NOSCRIPT. */
  runIfLoaded(
    connection: RedisConnection,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown>;
  /**
   * Sends the script in full (EVAL). For a script that commands sent after it, before its reply,
   * must find done: a NOSCRIPT retry would run it after them.
   */
  runInOrder(
    connection: RedisConnection,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown>;
}

export function luaScript(source: string): LuaScript {
  const sha = createHash('sha1').update(source).digest('hex');
  return {
    async run(connection, keys, args) {
      try {
        return await connection.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return connection.eval(source, keys.length, ...keys, ...args);
      }
    },
    runIfLoaded(connection, keys, args) {
      return connection.evalsha(sha, keys.length, ...keys, ...args);
    },
    runInOrder(connection, keys, args) {
      return connection.eval(source, keys.length, ...keys, ...args);
    },
  };
}
