import type { Logger } from './logger.ts';

export interface ThrottledWarn {
  /**
   * Logs at warn unless a line with the same `key` was logged less than the interval ago; the
   * next line of that key says how many were left out (`suppressed`).
   */
  (key: string, fields: Record<string, unknown>, message: string): void;
}

/**
 * A warn logger that writes at most one line per key per interval. While Redis is away, ioredis
 * reports every failed reconnect, and BullMQ repeats each of them once per lane worker: at 64
 * lanes, over a hundred identical lines every couple of seconds, which bury the one line an
 * operator needs (and fill the log store). Keys name what is repeated (`redis`, an error code).
 */
export function throttledWarn(
  logger: Pick<Logger, 'warn'>,
  intervalMs: number,
  now: () => number = Date.now,
): ThrottledWarn {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key, fields, message) => {
    const t = now();
    const seen = last.get(key);
    if (seen && t - seen.at < intervalMs) {
      seen.suppressed += 1;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    // Bounded, however many kinds a long-lived process meets: the oldest key goes first, and
    // its next line is simply not throttled.
    last.delete(key);
    if (last.size >= MAX_KEYS) last.delete(last.keys().next().value!);
    last.set(key, { at: t, suppressed: 0 });
    logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  };
}

/** Most keys a throttled logger remembers. */
const MAX_KEYS = 1000;

/**
 * What kind of error this is, as a throttle key: its code when it has a text one, else its
 * message with ids and numbers taken out. BullMQ's lock errors name their job ("Missing lock
 * for job 3f2a…"), so keyed by message every job would be a kind of its own.
 */
export function errorKind(error: Error): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return `${error.name}: ${error.message.replace(/[0-9a-f]{8,}|[\w-]*\d[\w-]*/gi, '#')}`;
}

/** The shortest time between two log lines of the same kind of error, ms. */
export const ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * A Redis connection's `onError` for a role: one warn line per kind of error (`errorKind`) a
 * minute. ioredis reports every failed reconnect, and every lane's connection repeats it; one
 * line when Redis goes away, one a minute while it stays away, and one for each new kind of
 * refusal (a wrong password after a timeout) is what an operator needs.
 */
export function redisErrorLogger(
  logger: Pick<Logger, 'warn'>,
  message: string,
  intervalMs = ERROR_LOG_INTERVAL_MS,
): (error: Error) => void {
  const warn = throttledWarn(logger, intervalMs);
  return (err) => warn(`redis:${errorKind(err)}`, { err }, message);
}
