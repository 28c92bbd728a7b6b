/**
 * Redis's per-command counters (`INFO commandstats`), read around a step of `pnpm bench:latency`:
 * how many calls, and how much of Redis's time, each commit costs, by command. Redis 7 counts a
 * command a Lua script runs under that command's name as well as under `evalsha`, so the
 * microseconds of the two overlap: the script's line is the whole, the others its parts.
 */
import type { RedisConnection } from '@commitlog/queue';

export interface RedisCommandStat {
  /** Lower case, subcommands after a `|` (Redis's spelling). */
  command: string;
  calls: number;
  usec: number;
}

/** Zeroes the counters (and Redis's other statistics): the next read covers what follows. */
export async function resetRedisCommandStats(connection: RedisConnection): Promise<void> {
  await connection.config('RESETSTAT');
}

export async function readRedisCommandStats(
  connection: RedisConnection,
): Promise<RedisCommandStat[]> {
  return parseCommandStats(await connection.info('commandstats'));
}

/** `cmdstat_<name>:calls=N,usec=N,...` lines; most time first. */
export function parseCommandStats(info: string): RedisCommandStat[] {
  const stats: RedisCommandStat[] = [];
  for (const line of info.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):(.*)$/.exec(line);
    if (!match) continue;
    const fields = new Map(
      match[2]!.split(',').map((pair) => pair.split('=', 2) as [string, string]),
    );
    const calls = Number(fields.get('calls'));
    const usec = Number(fields.get('usec'));
    if (!Number.isFinite(calls) || !Number.isFinite(usec)) {
      throw new Error(`INFO commandstats: cannot read calls and usec of ${match[1]}`);
    }
    stats.push({ command: match[1]!, calls, usec });
  }
  return stats.sort((a, b) => b.usec - a.usec || b.calls - a.calls);
}
