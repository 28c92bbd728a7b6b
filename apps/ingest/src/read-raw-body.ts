import { CommitlogError } from '@commitlog/core';
import type { Readable } from 'node:stream';
import { BodyBudgetSpentError } from './body-budget.ts';

/**
 * A request body over its limit. Answered with 413; the rest is never held: refused on its
 * declared length, it is drained unread (ingest-app.ts); refused while reading, the connection
 * is closed.
 */
export class BodyTooLargeError extends CommitlogError {
  /** The limit, bytes. */
  readonly limit: number;

  /** @param declared the `Content-Length`, when the refusal is on what the client declared */
  constructor(limit: number, declared?: number) {
    const size = declared === undefined ? '' : ` of ${declared} bytes`;
    super('BODY_TOO_LARGE', `request body${size} is over the limit of ${limit} bytes`, {
      retriable: false,
    });
    this.limit = limit;
  }
}

/** The client went away (or the server's request timeout fired) before the body was complete. */
export class BodyAbortedError extends CommitlogError {
  constructor(cause?: unknown) {
    super('BODY_ABORTED', 'the request body ended before it was complete', {
      retriable: true,
      cause,
    });
  }
}

/**
 * Reads a whole request body as raw bytes (the signature is over these exact bytes), holding at
 * most `limit` bytes: once more have come it stops reading and rejects with BodyTooLargeError, so
 * a huge or endless body costs at most `limit` bytes of memory. The caller then answers and closes
 * the connection instead of draining the rest.
 *
 * @param limit most bytes accepted
 * @param admit asked for each chunk's bytes as they arrive (the ingest's body budget); when it
 *   says no, reading stops and the promise rejects with `BodyBudgetSpentError`
 */
export function readRawBody(
  stream: Readable,
  limit: number,
  admit?: (bytes: number) => boolean,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;

    const finish = (error: unknown, body?: Buffer): void => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error === undefined && body !== undefined) resolve(body);
      else reject(error instanceof Error ? error : new BodyAbortedError(error));
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      received += bytes.byteLength;
      if (received > limit) {
        // Stop pulling bytes off the wire; the caller answers 413 and closes the connection.
        stream.pause();
        finish(new BodyTooLargeError(limit));
        return;
      }
      if (admit !== undefined && !admit(bytes.byteLength)) {
        // The same: the caller answers 503 and closes the connection.
        stream.pause();
        finish(new BodyBudgetSpentError());
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => finish(undefined, Buffer.concat(chunks, received));
    const onError = (error: unknown): void => finish(new BodyAbortedError(error));
    const onClose = (): void => finish(new BodyAbortedError());

    if (stream.readableEnded || stream.destroyed) {
      finish(new BodyAbortedError(new Error('the body was already read')));
      return;
    }
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}
