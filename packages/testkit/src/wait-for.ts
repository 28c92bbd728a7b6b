export interface WaitForOptions {
  /** Give up after this many milliseconds. Default 10000. */
  timeoutMs?: number;
  /** Pause between polls in milliseconds. Default 50. */
  intervalMs?: number;
  /** Says what was awaited, in the error thrown on time-out. */
  description?: string;
}

/**
 * Polls `probe` until it returns a value other than `undefined`, `null` or `false`, and returns
 * that value. A probe that throws counts as "not yet"; its last error is reported on time-out.
 * A number counts when it is not 0 (nor NaN): `redis.exists` answers 0 for "not yet", and a
 * probe returning it once passed at the first poll.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, undefined | null | false | 0>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    let value: T | undefined;
    try {
      value = await probe();
    } catch (error) {
      lastError = error;
    }
    const notYet =
      value === undefined ||
      value === null ||
      value === false ||
      (typeof value === 'number' && (value === 0 || Number.isNaN(value)));
    if (!notYet) return value as Exclude<T, undefined | null | false | 0>;
    if (Date.now() >= deadline) {
      const what = options.description ?? 'condition';
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms${why}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
