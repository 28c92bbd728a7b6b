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
    last.set(key, { at: t, suppressed: 0 });
    logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  };
}
