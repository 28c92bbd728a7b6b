/**
 * A commit POST as the handlers see it: the headers they read and a way to read the raw body.
 * `ingest-app.ts` builds it from express's request; unit tests build it by hand.
 */
export interface CommitRequest {
  /** The `Content-Type` header. */
  contentType: string | undefined;
  /** The `Content-Encoding` header. */
  contentEncoding: string | undefined;
  /** The declared `Content-Length`, bytes; undefined for a chunked body. */
  contentLength: number | undefined;
  /** The `X-Commitlog-Signature` header. Never logged. */
  signature: string | undefined;
  /**
   * Reads the raw body, holding at most `limit` bytes: rejects with `BodyTooLargeError` once more
   * have come (see `readRawBody`), with `BodyBudgetSpentError` when `admit` refuses a chunk, and
   * with `BodyAbortedError` when the client goes away.
   */
  readBody(limit: number, admit?: (bytes: number) => boolean): Promise<Uint8Array>;
  /**
   * Charges `bytes` more to the ingest's body budget for this request, on top of its body's
   * bytes (a body whose parsed form costs more than its size); false, charging nothing, when
   * they do not fit. Absent when the ingest runs without a budget.
   */
  chargeBody?(bytes: number): boolean;
}
