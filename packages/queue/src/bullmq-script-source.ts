import type { RedisConnection } from './redis-connection.ts';

/** One of BullMQ's scripts as BullMQ loaded it onto a connection (ioredis's `defineCommand`). */
export interface BullmqScript {
  /** With BullMQ's version: `addStandardJob:6.7.0`. */
  name: string;
  lua: string;
  numberOfKeys: number | undefined;
}

/**
 * BullMQ's script `name` as BullMQ loaded it onto `connection`, for a script of ours that runs
 * its source as a function inside itself (one round trip, atomic with our own checks). `name` is
 * matched whole, or as a prefix when it ends with `:` (whatever BullMQ's version). Throws when
 * BullMQ has not defined it there (no BullMQ queue on the connection is ready yet).
 */
export function bullmqScript(connection: RedisConnection, name: string): BullmqScript {
  const scripts =
    (
      connection as unknown as {
        scriptsSet?: Record<string, { lua?: string; numberOfKeys?: number }>;
      }
    ).scriptsSet ?? {};
  const found = name.endsWith(':') ? Object.keys(scripts).find((n) => n.startsWith(name)) : name;
  const script = found === undefined ? undefined : scripts[found];
  if (found === undefined || script?.lua === undefined) {
    throw new Error(`BullMQ's script ${name} is not defined on the connection`);
  }
  return { name: found, lua: script.lua, numberOfKeys: script.numberOfKeys };
}
