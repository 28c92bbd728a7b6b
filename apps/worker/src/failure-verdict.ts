import { nextDelay, type RetryPolicy } from '@commitlog/core';
import { KafkaProduceError } from '@commitlog/kafka';
import type { LaneJob, LaneOutcome } from '@commitlog/queue';
import type { Logger } from '@commitlog/runtime';
import { classifyError } from './classify-error.ts';
import type { DeliveryEvents } from './deliver-commit.ts';

export interface FailureVerdictDeps {
  events: DeliveryEvents;
  policy: RetryPolicy;
  now: () => number;
  random: () => number;
}

/**
 * How the delivery handler (deliver-commit.ts) judges a failed try: the error, the commit's TTL
 * (counted from `ttlFromMs`) and its attempts so far decide between failing it for good and
 * holding its lane for a retry after a backoff.
 */
export function failureVerdict(deps: FailureVerdictDeps) {
  const { now, random } = deps;
  /**
   * What a failed try comes to: failed for good when no retry can fix it or its TTL is over,
   * else a retry that holds the lane, after a backoff.
   */
  return function afterFailure(
    job: LaneJob,
    ttlFromMs: number,
    error: unknown,
    topic: string | undefined,
    log: () => Logger,
  ): LaneOutcome {
    const failure = classifyError(error);
    if (!failure.retriable) {
      deps.events.failed(job.lane, failure.reason, topic);
      log().error({ err: error, reason: failure.reason, topic }, 'delivery failed for good');
      return { kind: 'fail', reason: failure.reason, message: failure.message };
    }
    const attempt = (job.retry?.attempt ?? 0) + 1;
    const at = now();
    const next = nextDelay(attempt, ttlFromMs, at, deps.policy, random);
    if (next.expired) {
      deps.events.failed(job.lane, 'expired', topic);
      log().error({ err: error, attempt }, 'commit expired before it could be delivered');
      return {
        kind: 'fail',
        reason: 'expired',
        message: `not delivered within its TTL of ${deps.policy.ttlMs} ms after ${attempt} attempts; last error: ${failure.message}`,
      };
    }
    deps.events.retried(job.lane, failure.reason, topic);
    log().warn(
      { err: error, attempt, delayMs: next.delayMs, topic },
      'delivery failed; lane held until the next try',
    );
    return {
      kind: 'retry',
      delayMs: next.delayMs,
      progress: {
        attempt,
        lastError: failure.message,
        nextTryAt: at + next.delayMs,
        heldSince: job.retry?.heldSince ?? at,
        stalledCount: job.stalledCount,
        ...(error instanceof KafkaProduceError && error.fromBroker ? { alone: true } : {}),
      },
    };
  };
}
