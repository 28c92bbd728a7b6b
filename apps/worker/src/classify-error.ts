import { failureReason, isPermanentFailure } from '@commitlog/core';

/** How the worker treats a failed produce: retry (hold the lane), or fail for good with a reason. */
export interface Classified {
  retriable: boolean;
  /** Reason shown to operators and used as the metric label, e.g. `too-large`. */
  reason: string;
  message: string;
}

export function classifyError(error: unknown): Classified {
  return {
    retriable: !isPermanentFailure(error),
    reason: failureReason(error),
    message: error instanceof Error ? error.message : String(error),
  };
}
