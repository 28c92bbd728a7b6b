import { CommitlogError } from './errors.ts';

/** How a failing delivery is retried. */
export interface RetryPolicy {
  /** Cap of the first retry's delay, in ms; doubles with each attempt. Default 200. */
  baseDelayMs: number;
  /** Largest delay between two attempts, in ms. Default 60,000 (one minute). */
  maxDelayMs: number;
  /** How long a commit may take to be delivered, in ms from its acceptance (`COMMIT_TTL`). Default 24 h. */
  ttlMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 200,
  maxDelayMs: 60_000,
  ttlMs: 24 * 3600 * 1000,
};

// 2^52 times any sane base is over any sane cap; a larger exponent would only risk Infinity.
const MAX_EXPONENT = 52;

/**
 * The delay before the next attempt, after `attempt` failed (attempts count from 1): exponential
 * backoff with full jitter, `floor(random() * cap)` where `cap = min(maxDelayMs, baseDelayMs *
 * 2^(attempt-1))`. Full jitter spreads the retries of lanes that failed together (a broker
 * restart) instead of retrying them in step.
 *
 * @returns an integer number of ms in [0, cap], and at least 1 when cap ≥ 1 (so that it can be
 *   handed to a Redis `PX` expiry such as BullMQ's `worker.rateLimit(ms)`, which refuses 0)
 * @throws RangeError for an attempt that is not an integer ≥ 1, or a negative or non-finite delay
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be an integer from 1, got ${attempt}`);
  }
  const { baseDelayMs, maxDelayMs } = policy;
  for (const [name, ms] of [
    ['baseDelayMs', baseDelayMs],
    ['maxDelayMs', maxDelayMs],
  ] as const) {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`${name} must be a finite number ≥ 0, got ${ms}`);
    }
  }
  const cap = Math.floor(
    Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt - 1, MAX_EXPONENT)),
  );
  if (cap < 1) return 0;
  const r = random();
  const jittered = Math.floor((Number.isFinite(r) ? r : 0) * cap);
  return Math.min(cap, Math.max(1, jittered));
}

/** When a commit accepted at `acceptedAtMs` (epoch ms) expires, in epoch ms. */
export function expiresAt(acceptedAtMs: number, policy: Pick<RetryPolicy, 'ttlMs'>): number {
  return acceptedAtMs + policy.ttlMs;
}

/**
 * Whether a commit accepted at `acceptedAtMs` has expired at `nowMs` (both epoch ms). One whose
 * acceptance is not a time (NaN: a job's time that does not parse) has: its TTL could never end,
 * and a re-drive gives it a time again.
 */
export function isExpired(
  acceptedAtMs: number,
  nowMs: number,
  policy: Pick<RetryPolicy, 'ttlMs'>,
): boolean {
  return !(nowMs < expiresAt(acceptedAtMs, policy));
}

/** What to do after a failed attempt: give up, or try again after `delayMs`. */
export type NextDelay = { expired: true } | { expired: false; delayMs: number };

/**
 * What to do after attempt `attempt` failed at `nowMs`: `{expired: true}` once the commit's TTL
 * is over, else the backoff delay, clipped so that the next attempt never lands after the expiry.
 * A commit near its deadline thus gets one last attempt at the deadline; ask this after an
 * attempt fails, not before one starts, so that that attempt is made (and so that a commit that
 * waited out its TTL behind a held lane is still tried once).
 */
export function nextDelay(
  attempt: number,
  acceptedAtMs: number,
  nowMs: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): NextDelay {
  const deadline = expiresAt(acceptedAtMs, policy);
  if (isExpired(acceptedAtMs, nowMs, policy)) return { expired: true };
  const delayMs = Math.min(backoffDelay(attempt, policy, random), Math.ceil(deadline - nowMs));
  return { expired: false, delayMs };
}

/**
 * A commit that was not delivered within its TTL. It fails for good, with reason `expired`; an
 * operator can re-drive it.
 */
export class ExpiredError extends CommitlogError {
  constructor(
    message = 'the commit was not delivered within its TTL',
    options: { cause?: unknown } = {},
  ) {
    super('EXPIRED', message, { retriable: false, cause: options.cause });
  }
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Milliseconds of a duration written for people: `500ms`, `30s`, `90m`, `24h`, `14d`, or a bare
 * integer of milliseconds. Surrounding whitespace is ignored; nothing else is guessed.
 *
 * @throws RangeError naming the text and the accepted forms
 */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  const ms = match === null ? NaN : Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? NaN);
  if (!Number.isSafeInteger(ms)) {
    throw new RangeError(
      `invalid duration ${JSON.stringify(text)}: expected a whole number with an optional unit ` +
        `ms, s, m, h or d (e.g. 500ms, 30s, 90m, 24h, 14d); a bare number is milliseconds`,
    );
  }
  return ms;
}
