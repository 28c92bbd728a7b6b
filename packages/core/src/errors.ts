/**
 * The base of every error commitlog raises on purpose.
 *
 * Callers classify errors by `instanceof` or `code`, never by message text. `retriable` says
 * whether trying the same operation again can succeed (a broker that is down: yes; a record that
 * is larger than the topic accepts: no).
 */
export class CommitlogError extends Error {
  /** Stable, machine-readable identifier, e.g. `KAFKA_UNAVAILABLE`. */
  readonly code: string;
  /** Whether a later attempt of the same operation may succeed. */
  readonly retriable: boolean;
  /**
   * What an API client may be told: the message without the addresses of commitlog's own
   * infrastructure (a Redis node's host and port), which only the log gets. The message itself
   * when it names none.
   */
  readonly clientMessage: string;

  constructor(
    code: string,
    message: string,
    options: { retriable: boolean; cause?: unknown; clientMessage?: string },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable;
    this.clientMessage = options.clientMessage ?? message;
  }
}

/** Whether an unknown thrown value is worth retrying; anything we did not classify is. */
export function isRetriable(error: unknown): boolean {
  return error instanceof CommitlogError ? error.retriable : true;
}
