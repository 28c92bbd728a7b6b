import { CommitlogError } from '@commitlog/core';
import type { EnqueueResult } from './commit-enqueuer.ts';
import { redisErrorCode } from './redis-error-code.ts';
import type { RedriveResult } from './redrive.ts';

/** Redis could not store the job now (down, unreachable, refusing writes). The ingest answers 503. */
export class QueueUnavailableError extends CommitlogError {
  /**
   * Why, as a code of few values (`OOM`, `NOPERM`, `ECONNREFUSED`, `REPLICAS_BEHIND`, `OTHER`…):
   * what a client may be told. The message quotes the cause, which can name Redis's addresses
   * and users; it is for the log.
   */
  readonly reason: string;
  /**
   * Set when the commit was stored all the same, the refusal coming after (its replicas behind,
   * Redis found unable to keep it): what it was stored as. A retry finds it (`duplicate: true`).
   */
  readonly storedAs: EnqueueResult | undefined;

  constructor(cause: unknown, storedAs?: EnqueueResult) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('QUEUE_UNAVAILABLE', `the queue cannot store commits now: ${detail}`, {
      retriable: true,
      cause,
    });
    this.reason = redisErrorCode(cause);
    this.storedAs = storedAs;
  }
}

/** A lane holds more waiting commits than its limit. The ingest answers 503 (back-pressure). */
export class BacklogFullError extends CommitlogError {
  readonly lane: number;
  readonly backlog: number;

  constructor(lane: number, backlog: number, limit: number) {
    super('BACKLOG_FULL', `lane ${lane} holds ${backlog} waiting commits (limit ${limit})`, {
      retriable: true,
    });
    this.lane = lane;
    this.backlog = backlog;
  }
}

/**
 * A worker no longer holds a job's lock (it lapsed during a slow attempt): what it would have
 * written about the job (its retry progress) was not written, since another worker may hold it.
 */
export class LockLostError extends CommitlogError {
  constructor(jobId: string) {
    super('LOCK_LOST', `job ${jobId}: its lock is no longer this worker's; nothing was written`, {
      retriable: true,
    });
  }
}

/**
 * Kafka took a delivery, but the script that records it failed (Redis refused it, or its reply
 * was lost): the delivered marks, and the completion of the followers sent with the lane's
 * active job. Nothing is lost. Where Redis did not run it, the followers stay waiting and are
 * delivered again (duplicates, in order), and these commits, posted again within DEDUP_WINDOW,
 * are not recognised as delivered.
 */
export class DeliveryNotRecordedError extends CommitlogError {
  constructor(jobId: string, followers: number, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const sent = followers > 0 ? ` with ${followers} followers` : '';
    const then =
      followers > 0
        ? 'the followers may be delivered again, and these commits, posted again, not be recognised as delivered'
        : 'the commit, posted again, may not be recognised as delivered';
    super(
      'DELIVERY_NOT_RECORDED',
      `job ${jobId} is on Kafka${sent}, but its delivery could not be recorded in Redis (${detail}): ${then}`,
      { retriable: true, cause },
    );
  }
}

/**
 * A re-drive stopped part-way (Redis away, refusing writes): `partial` counts what it had done,
 * which stays done (each moved commit is back in its lane), so that the caller can report and
 * audit it. Running the same re-drive again moves the rest.
 */
export class RedriveInterruptedError extends CommitlogError {
  readonly partial: RedriveResult;

  constructor(partial: RedriveResult, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'REDRIVE_INTERRUPTED',
      `the re-drive stopped after ${partial.redriven} re-driven (${detail}); run it again to move the rest`,
      { retriable: true, cause },
    );
    this.partial = { ...partial };
  }
}
