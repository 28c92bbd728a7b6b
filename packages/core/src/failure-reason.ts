import { CommitlogError } from './errors.ts';
import { ExpiredError } from './retry-policy.ts';

/**
 * Kafka error types (and our own codes) that no retry can fix, with the reason operators see for
 * each. Several Kafka codes share a reason: an operator fixes "too large" the same way whichever
 * limit was hit. Not CLUSTER_AUTHORIZATION_FAILED: it refuses the worker's login every write, to
 * every topic, so failing each commit for good would fail them all, to be re-driven by hand once
 * the ACL is fixed (and named as a topic's fault). It holds the lanes instead, retried until
 * `COMMIT_TTL`, and they go on by themselves once the ACL is granted.
 */
const PERMANENT_REASONS: Readonly<Record<string, string>> = {
  MESSAGE_TOO_LARGE: 'too-large',
  RECORD_LIST_TOO_LARGE: 'too-large',
  COMMIT_TOO_LARGE: 'too-large',
  INVALID_TOPIC_EXCEPTION: 'forbidden-topic',
  TOPIC_AUTHORIZATION_FAILED: 'forbidden-topic',
  FORBIDDEN_TOPIC: 'forbidden-topic',
  INVALID_RECORD: 'invalid-record',
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 'invalid-record',
  EXPIRED: 'expired',
};

/**
 * The reasons a known permanent error fails a delivery for good. The worker exports its failure
 * counter at 0 for each from start-up: a series born at 1 shows Prometheus no increase, so an
 * alert on the first failure after a restart would never fire.
 */
export const PERMANENT_FAILURE_REASONS: readonly string[] = [
  ...new Set(['expired', ...Object.values(PERMANENT_REASONS)]),
];

/**
 * The reason a delivery failed, as operators see it (dashboard, `commitlog status`, `redrive
 * --reason`, metric labels): lowercase words joined by `-`. Known permanent errors have the names
 * above (`expired`, `too-large`, `forbidden-topic`, `invalid-record`); any other CommitlogError is
 * its code (`SOMETHING_ODD` → `something-odd`); anything we did not classify is `error`.
 */
export function failureReason(error: unknown): string {
  if (error instanceof ExpiredError) return 'expired';
  if (error instanceof CommitlogError) {
    return PERMANENT_REASONS[error.code] ?? error.code.toLowerCase().replaceAll('_', '-');
  }
  return 'error';
}

/** Whether an error code (ours or a Kafka error type) names a failure no retry can fix. */
export function isPermanentCode(code: string): boolean {
  return Object.hasOwn(PERMANENT_REASONS, code);
}

/**
 * Whether no retry can fix this error: a known permanent Kafka or domain error, or any
 * CommitlogError that says so. Unclassified errors are assumed to pass with time.
 */
export function isPermanentFailure(error: unknown): boolean {
  if (!(error instanceof CommitlogError)) return false;
  return isPermanentCode(error.code) || !error.retriable;
}
