import { unknownCommitField, type Commit } from '@commitlog/core';

/** What a lane queue's job holds: one accepted commit and when it was accepted. */
export interface CommitJobData {
  /** The commit id (also the BullMQ job id, which is what makes a retried POST a duplicate). */
  id: string;
  lane: number;
  /** The commit in its wire form (binaries as strings or `{base64}`), exactly as accepted. */
  commit: Commit;
  /** ISO-8601 time the ingest accepted it; travels as the `commitlog-received-at` header. */
  receivedAt: string;
  /**
   * ISO-8601 time an operator re-drove the commit after it failed for good. The TTL counts from
   * here instead of `receivedAt`, so a re-driven expired commit gets a fresh TTL.
   */
  redrivenAt?: string;
}

/** The fields of a job's data this version knows; the type keeps it in step with the interface. */
const JOB_FIELDS: ReadonlySet<string> = new Set(
  Object.keys({
    id: true,
    lane: true,
    commit: true,
    receivedAt: true,
    redrivenAt: true,
  } satisfies Record<keyof CommitJobData, true>),
);

/**
 * The path of the first field of a job's data (`commit.siblings[0].charset`) that this version
 * does not know, or undefined. A job a newer ingest stored may carry what this worker's record
 * mapping would leave out; delivered by it, Kafka would get less than Riak committed, for good.
 */
export function unknownJobField(data: object): string | undefined {
  for (const name of Object.keys(data)) if (!JOB_FIELDS.has(name)) return name;
  const inCommit = unknownCommitField((data as { commit?: unknown }).commit);
  return inCommit === undefined ? undefined : `commit.${inCommit}`;
}

/** What a delivery that is being retried records on its job, for operators and the next attempt. */
export interface RetryProgress {
  attempt: number;
  lastError: string;
  /** Epoch milliseconds of the next try. */
  nextTryAt: number;
  /** Epoch milliseconds of the first failed attempt: since when the lane has been held. */
  heldSince: number;
  /**
   * How many times the job had stalled when this attempt returned (absent in progress written
   * before 2026-12-05: read as 0). A count above it means a worker died or hung in a later try.
   */
  stalledCount?: number;
  /**
   * Whether the next try goes in a produce request of its own: this one failed on a broker's
   * answer about its records (a partition without enough replicas, a leader moving), which a
   * request shared with other lanes would meet again, failing theirs. Not after an outage, which
   * every request meets alike (alone, the lanes' tries would each wait out the same timeout).
   */
  alone?: boolean;
}

/**
 * BullMQ job options of a commit job. Retries are ours (the lane is held), not BullMQ's attempts.
 * A delivered job is removed: its mark (delivered-marks.ts) is what recognises it afterwards. A
 * failed one is kept: the workers' sweep removes it once `FAILED_RETENTION` has passed, and logs
 * each commit it removes (expired-failures.ts). BullMQ's own `removeOnFail.age` would remove the
 * lane's old failures whenever another of its jobs failed, without a word, and by the retention
 * of the ingest that took the failing job, not the workers'.
 */
export function commitJobOptions(id: string) {
  return { jobId: id, attempts: 1, removeOnComplete: true };
}

/**
 * Whether a job's data holds a commit: an object whose `commit` is an object. What does not (data
 * that did not parse, read as `TolerantJob`'s placeholder; `null`; `{"commit": null}`) can never
 * be delivered: the worker fails it as poison, a re-drive leaves it failed, a discard may remove
 * it (`discardUnreadable` judges by this too, on the data's bytes as BullMQ reads them).
 */
export function holdsCommit(data: unknown): data is { commit: object } {
  if (typeof data !== 'object' || data === null) return false;
  const commit = (data as { commit?: unknown }).commit;
  return typeof commit === 'object' && commit !== null && !Array.isArray(commit);
}

export function isRetryProgress(value: unknown): value is RetryProgress {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return typeof p.attempt === 'number' && typeof p.nextTryAt === 'number';
}
