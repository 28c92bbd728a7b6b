/**
 * How many bytes of request bodies the ingest holds at once. A body costs several times its size
 * while it is read, parsed and stored (the raw bytes, the parsed JSON, each job's serialised
 * data), and the role's heap is capped (`ROLE_NODE_FLAGS`); without a budget, enough large
 * batches at once would exhaust it and take every request in hand down with the process. Over
 * the budget, a request is answered 503 with `Retry-After` before its body is read: the hook
 * retries, and nothing was stored.
 */
export interface BodyBudget {
  /** Reserves `bytes`; the function it returns gives them back. Undefined when they do not fit. */
  reserve(bytes: number): (() => void) | undefined;
  /** Bytes reserved now. */
  inUse(): number;
}

export function createBodyBudget(limitBytes: number): BodyBudget {
  let inUse = 0;
  return {
    reserve(bytes) {
      // One request may always proceed alone, whatever it declares (its own limit still holds).
      if (inUse > 0 && inUse + bytes > limitBytes) return undefined;
      inUse += bytes;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inUse -= bytes;
      };
    },
    inUse: () => inUse,
  };
}
