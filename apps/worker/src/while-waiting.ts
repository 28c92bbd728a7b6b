import type { Logger } from '@commitlog/runtime';

/** How often a start-up that waits for Redis or Kafka says so. */
const START_WAIT_LOG_MS = 10_000;

/**
 * Runs a start-up step, and logs every START_WAIT_LOG_MS while it has not finished. `waiting`
 * tells what the start-up waits for now (for `/readyz`). A stop abandons the step at once; should
 * the step still finish after that, what it made is given to `release` (lane workers that would
 * otherwise take jobs for a producer that is closing, until the process exits).
 */
export async function whileWaiting<T>(
  logger: Pick<Logger, 'warn'>,
  waiting: { for: string },
  what: string,
  step: () => Promise<T>,
  stopped?: AbortSignal,
  release?: (made: T) => Promise<unknown>,
): Promise<T> {
  if (stopped?.aborted) throw new Error(`stopped while starting, before waiting for ${what}`);
  waiting.for = what;
  const since = Date.now();
  const timer = setInterval(() => {
    logger.warn(
      { waitingMs: Date.now() - since },
      `start-up is waiting for ${what}; the worker starts delivering once it answers`,
    );
  }, START_WAIT_LOG_MS);
  // A command to a Redis that is not up waits in the client's queue, not failing: the stop
  // cannot wait for it to end.
  let onAbort = (): void => undefined;
  const abandoned = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new Error(`stopped while starting, waiting for ${what}`));
    stopped?.addEventListener('abort', onAbort, { once: true });
  });
  const running = step();
  try {
    return await Promise.race([running, abandoned]);
  } catch (error) {
    if (stopped?.aborted && release) {
      running
        .then(release, () => undefined)
        .catch((err: unknown) => logger.warn({ err }, `could not release ${what} after a stop`));
    }
    throw error;
  } finally {
    stopped?.removeEventListener('abort', onAbort);
    clearInterval(timer);
  }
}
