import { CommitlogError } from '@commitlog/core';

/**
 * The underlying reason of a failed `fetch`: undici says only `fetch failed` and keeps the reason
 * (`ECONNREFUSED`, `ENOTFOUND`, `bad port`) in `cause`, sometimes one level further down or in an
 * `AggregateError`'s list.
 */
export function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${timeoutMs / 1000}s`;
  }
  let current: unknown = error instanceof Error ? error.cause : undefined;
  let deepestMessage: string | undefined;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code !== '') return code;
    deepestMessage = current.message || deepestMessage;
    current =
      current instanceof AggregateError && current.errors.length > 0
        ? current.errors[0]
        : current.cause;
  }
  return deepestMessage ?? (error instanceof Error ? error.message : String(error));
}

/** The ingest could not be reached or gave no answer; retriable, as the ingest may come back. */
export class IngestUnreachableError extends CommitlogError {
  /** The reason alone, e.g. `ECONNREFUSED`. */
  readonly reason: string;

  constructor(url: string, reason: string, cause: unknown) {
    super('INGEST_UNREACHABLE', `cannot reach ${url}: ${reason}`, { retriable: true, cause });
    this.reason = reason;
  }
}
