import { CommitlogError } from '@commitlog/core';
import { errorResponse, type HttpResponse } from './http-response.ts';

/**
 * How many bytes of request bodies the ingest holds at once. A body costs several times its size
 * while it is read, parsed and stored (the raw bytes, the parsed JSON, each job's serialised
 * data), and the role's heap is capped (`ROLE_NODE_FLAGS`); without a budget, enough large
 * batches at once would exhaust it and take every request in hand down with the process. Over
 * the budget, a request is answered 503 with `Retry-After`, before its body is read when its
 * declared length cannot fit, or as soon as the bytes that arrive do not: the hook retries, and
 * nothing was stored.
 */
export interface BodyBudget {
  /** Whether `bytes` more would fit now (reserving nothing). */
  fits(bytes: number): boolean;
  /**
   * A reservation that grows as a body's bytes arrive. Bytes are charged when received, not when
   * declared: a client that declares a large body and sends nothing holds nothing, where a
   * declared-length reservation let four idle connections hold 64 MiB and refuse every commit.
   */
  open(): GrowingReservation;
  /** Bytes reserved now. */
  inUse(): number;
}

export interface GrowingReservation {
  /** Adds `bytes`; false, adding nothing, when they do not fit. */
  grow(bytes: number): boolean;
  /** Gives every byte back. */
  release(): void;
}

/** A body whose bytes no longer fit the budget while it was read: answered 503, nothing stored. */
export class BodyBudgetSpentError extends CommitlogError {
  constructor() {
    super('INGEST_BUSY', 'the body budget was spent while this body was read', {
      retriable: true,
    });
  }
}

export function createBodyBudget(limitBytes: number): BodyBudget {
  let inUse = 0;
  // One request may always proceed alone, whatever it declares (its own limit still holds).
  const fits = (bytes: number, own = 0): boolean => inUse === own || inUse + bytes <= limitBytes;
  return {
    fits: (bytes) => fits(bytes),
    open() {
      let held = 0;
      return {
        grow(bytes) {
          if (!fits(bytes, held)) return false;
          held += bytes;
          inUse += bytes;
          return true;
        },
        release() {
          inUse -= held;
          held = 0;
        },
      };
    },
    inUse: () => inUse,
  };
}

/** `Retry-After` (seconds) when the body budget is spent: requests in hand finish within one. */
const BUSY_RETRY_AFTER_S = 1;

/** The 503 of a request whose body does not fit the budget now; nothing of it was stored. */
export function ingestBusy(): HttpResponse {
  return errorResponse(
    503,
    'INGEST_BUSY',
    'the ingest holds as many request bodies as it may now; nothing was stored: retry shortly',
    { headers: { 'Retry-After': String(BUSY_RETRY_AFTER_S) } },
  );
}
