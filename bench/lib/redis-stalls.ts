/**
 * Redis's own latency monitor, read around each step: the longest time Redis spent in one event
 * (an fsync of its AOF, a slow command, a fork) while the step ran. With `appendfsync always`
 * Redis answers a write only after its fsync, so one slow fsync holds every request in flight:
 * on the build machine's disk single fsyncs took up to 350 ms during runs whose idle fsync took
 * 0.3 ms, and such a step's p99 says more about the disk than about the design. The ladders print
 * the worst stall beside each step's p99 so that the two can be told apart.
 */
import type { RedisConnection } from '@commitlog/queue';

/** Events shorter than this are not recorded by Redis (`latency-monitor-threshold`), ms. */
export const STALL_THRESHOLD_MS = 5;

/** The longest time Redis spent in one event of one kind since the last reset. */
export interface RedisStall {
  /** Redis's name for it, e.g. `aof-fsync-always`, `command`, `fork`. */
  event: string;
  maxMs: number;
}

/** Turns the monitor on (it is off by default) for the bench's own Redis. */
export async function watchRedisStalls(connection: RedisConnection): Promise<void> {
  await connection.config('SET', 'latency-monitor-threshold', String(STALL_THRESHOLD_MS));
}

/** Forgets what the monitor recorded so far: the next read covers what follows. */
export async function resetRedisStalls(connection: RedisConnection): Promise<void> {
  await connection.call('LATENCY', 'RESET');
}

/** Every kind of event that took at least STALL_THRESHOLD_MS since the last reset, worst first. */
export async function readRedisStalls(connection: RedisConnection): Promise<RedisStall[]> {
  return parseLatencyLatest(await connection.call('LATENCY', 'LATEST'));
}

/**
 * `LATENCY LATEST` answers one entry per event: name, time of the latest, latest ms, worst ms
 * (Redis 7.4 adds more fields after these). Worst first.
 */
export function parseLatencyLatest(reply: unknown): RedisStall[] {
  if (!Array.isArray(reply)) throw new Error('LATENCY LATEST: expected an array');
  return reply
    .map((entry: unknown) => {
      if (!Array.isArray(entry) || entry.length < 4) {
        throw new Error('LATENCY LATEST: expected [event, time, latest, max] entries');
      }
      const maxMs = Number(entry[3]);
      if (!Number.isFinite(maxMs))
        throw new Error('LATENCY LATEST: the worst time is not a number');
      return { event: String(entry[0]), maxMs };
    })
    .sort((a, b) => b.maxMs - a.maxMs);
}

/** `353 ms aof-fsync-always`, `< 5 ms` when none was recorded, `—` when not measured. */
export function describeWorstStall(stalls: readonly RedisStall[] | undefined): string {
  if (stalls === undefined) return '—';
  const [worst] = stalls;
  return worst ? `${worst.maxMs} ms ${worst.event}` : `< ${STALL_THRESHOLD_MS} ms`;
}
