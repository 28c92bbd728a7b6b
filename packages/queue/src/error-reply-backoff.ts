/**
 * A pause before a failed call is reported, growing while the calls keep failing: BullMQ's main
 * loop asks a lane for its next job again at once after an error reply (`MISCONF`: Redis cannot
 * write its AOF, a full disk; `OOM`; `NOPERM`), and a lane with a backlog never waits on its
 * blocking read, so every lane of every worker would send a failing script as fast as Redis
 * answers it, taking Redis's time from the ingest's stores. 1 s, then twice as long each time
 * up to 5 s; back to 1 s after a call that succeeds. A lost connection is not paused here: the
 * client waits for its reconnection anyway.
 */
export interface ErrorReplyBackoff {
  run<T>(call: () => Promise<T>): Promise<T>;
}

const FIRST_PAUSE_MS = 1000;
const MAX_PAUSE_MS = 5000;

export function errorReplyBackoff(
  isErrorReply: (error: unknown) => boolean,
  sleep: (ms: number) => Promise<void> = (ms) =>
    new Promise((resolve) => setTimeout(resolve, ms).unref()),
): ErrorReplyBackoff {
  let pauseMs = 0;
  return {
    async run(call) {
      try {
        const result = await call();
        pauseMs = 0;
        return result;
      } catch (error) {
        if (isErrorReply(error)) {
          pauseMs = pauseMs === 0 ? FIRST_PAUSE_MS : Math.min(pauseMs * 2, MAX_PAUSE_MS);
          await sleep(pauseMs);
        }
        throw error;
      }
    },
  };
}
