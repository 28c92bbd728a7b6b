/**
 * A lane's count of the commits stored in it (what follows the lane's key prefix), and the field
 * of each job's hash that holds its number in that count: the order in which Redis stored the
 * lane's commits, one script after another, whichever ingest sent them. A re-drive puts a lane's
 * failed commits back in that order (redrive.ts); by their accept times it followed the clocks of
 * the ingests that stamped them, and two versions of one key accepted a few milliseconds apart by
 * two ingests whose clocks disagreed came back newest first. Jobs stored by versions before
 * 2026-12-08 have no number. Commit ids are 64 hex digits, so no job key is this one. BullMQ reads
 * a job's hash by the fields it knows, and leaves this one alone.
 */
export const ACCEPT_SEQUENCE_KEY = 'commitlog:accepted';
export const ACCEPT_SEQUENCE_FIELD = 'commitlogAccepted';

/** What the re-drive orders a lane's failed commits by. */
export interface AcceptOrder {
  /** The job's number in its lane's count; undefined for a job stored before the count existed. */
  acceptSeq?: number | undefined;
  /** Epoch ms when it was accepted, by its ingest's clock (BullMQ's job timestamp). */
  timestamp: number;
  /** Epoch ms when it failed. */
  finishedOn: number;
}

/**
 * The order a lane's commits were stored in: those without a number first (stored before any
 * had one), by accept time, then by when they failed; then those with one, by it.
 */
export function byAcceptOrder(a: AcceptOrder, b: AcceptOrder): number {
  if (a.acceptSeq !== undefined && b.acceptSeq !== undefined) return a.acceptSeq - b.acceptSeq;
  if (a.acceptSeq !== undefined) return 1;
  if (b.acceptSeq !== undefined) return -1;
  return a.timestamp - b.timestamp || a.finishedOn - b.finishedOn;
}
