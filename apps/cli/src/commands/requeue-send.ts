import { CliError } from '../cli-error.ts';
import { postSigned, type IngestAnswer } from '../ingest-client.ts';
import { IngestUnreachableError } from '../ingest-unreachable-error.ts';
import { errorText, isLaneFull, seconds } from './requeue-text.ts';

export interface RetryingSenderOptions {
  secret: string;
  /** Tries of one request while the ingest answers 429/5xx or cannot be reached. */
  maxTries: number;
  /** Waits between tries; ends early, rejecting, once `signal` is aborted, if it can. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Aborted to stop the run (Ctrl-C, SIGTERM, SIGHUP): no request starts after it, and a wait
   * between tries ends at once. A request under way is answered first.
   */
  signal?: AbortSignal;
  /** One line per try that will be repeated. */
  err: (line: string) => void;
  /** What the run did before it stopped, for the error that stops it (see `requeue`). */
  soFar: () => string;
}

/** `requeue`'s posts to the ingest, each tried again while the ingest is busy or away. */
export function retryingSender({
  secret,
  maxTries,
  sleep,
  err,
  soFar,
  signal,
}: RetryingSenderOptions) {
  /**
   * Posts until the ingest gives an answer other than 429/5xx, or `tries` run out. Each try that
   * will be repeated says so on `err`, with its reason and the wait, so that an ingest that is
   * down shows at once rather than after every try was spent. A full lane's answer (see
   * `isLaneFull`) is returned after `laneFullTries` tries, or when the tries run out on it;
   * tries spent on anything else end the run.
   */
  return async function send(
    url: string,
    body: Buffer,
    firstLine: number,
    tries = maxTries,
    laneFullTries = tries,
  ): Promise<IngestAnswer> {
    let lastProblem = '';
    let lastError: unknown;
    let lastAnswer: IngestAnswer | undefined;
    for (let attempt = 1; attempt <= tries; attempt++) {
      signal?.throwIfAborted();
      let waitMs: number;
      try {
        const answer = await postSigned({ url, secret, body });
        // 429 and 5xx (503 from the ingest, 502/504 from a proxy, a 500) may pass later.
        if (answer.status !== 429 && answer.status < 500) return answer;
        if (attempt >= laneFullTries && isLaneFull(answer)) return answer;
        lastProblem = `the ingest answered ${errorText(answer)}`;
        lastError = undefined;
        lastAnswer = answer;
        waitMs = (answer.retryAfterSeconds ?? 1) * 1000;
      } catch (error) {
        if (!(error instanceof IngestUnreachableError)) throw error;
        lastProblem = error.message;
        lastError = error;
        lastAnswer = undefined;
        waitMs = Math.min(8000, 250 * 2 ** attempt);
      }
      if (attempt === tries) break;
      err(
        `requeue: try ${attempt} of ${tries} for the commits from line ${firstLine} failed: ` +
          `${lastProblem}; trying again in ${seconds(waitMs)}`,
      );
      await untilStopped(sleep(waitMs, signal), signal);
    }
    if (lastAnswer !== undefined && isLaneFull(lastAnswer)) return lastAnswer;
    throw new CliError(
      'INGEST_UNAVAILABLE',
      `the ingest did not take the commits from line ${firstLine} after ${tries} tries (${lastProblem}); ` +
        `nothing after that line was sent: run requeue again within DEDUP_WINDOW (24 h by default), and the commits already taken are answered as duplicates, not delivered twice${soFar()}`,
      1,
      lastError,
    );
  };
}

/**
 * `wait`, or its end at once, rejecting with the abort's reason, once `signal` is aborted: a wait
 * that does not hear the signal itself (Retry-After may ask for minutes) must not hold a stop up.
 */
async function untilStopped(wait: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return wait;
  // A wait that hears the signal rejects too, and may not be listened to past here.
  wait.catch(() => undefined);
  signal.throwIfAborted();
  let onAbort = (): void => undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([wait, stopped]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
