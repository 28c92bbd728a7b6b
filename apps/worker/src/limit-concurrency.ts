/**
 * Wraps an async function so that at most `limit` calls run at once; the others wait in order.
 * Used for WORKER_CONCURRENCY: how many lanes this process delivers at the same time.
 */
export function limitConcurrency<A extends unknown[], R>(
  limit: number,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (...args) => {
    // A freed slot passes straight to the call waiting longest, still counted as running:
    // freeing it and letting the waiter take it when it resumes would leave a moment in which a
    // newcomer finds it free, and then both would run.
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await fn(...args);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
