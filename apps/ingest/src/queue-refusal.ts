import { CommitlogError } from '@commitlog/core';
import { BacklogFullError, QueueUnavailableError } from '@commitlog/queue';
import { errorResponse, type HttpResponse } from './http-response.ts';

/** `Retry-After` (seconds) when Redis cannot store a commit now: it is usually back quickly. */
export const QUEUE_UNAVAILABLE_RETRY_AFTER_S = 1;
/** `Retry-After` (seconds) when a lane's backlog is full: the workers need time to drain it. */
export const BACKLOG_FULL_RETRY_AFTER_S = 5;

/** Whether an enqueue failed because the queue cannot take the commit now (answered with 503). */
export function isQueueRefusal(error: unknown): error is QueueUnavailableError | BacklogFullError {
  return error instanceof QueueUnavailableError || error instanceof BacklogFullError;
}

/**
 * What a client is told of a refusal: a full lane's message; commitlog's own reasons (an unsafe
 * Redis's settings, LANES that disagree, replicas behind), which are written for whoever runs
 * the hook, as they may be told (`clientMessage`: without a Redis node's address); of any other
 * failure (Redis's error replies, the sockets') its code alone (`OOM`, `NOPERM`,
 * `ECONNREFUSED`…), since that text names Redis's addresses and users. The request's log line
 * has the whole message (`logMessage`).
 */
function toldToClient(refusal: QueueUnavailableError | BacklogFullError): string {
  if (refusal instanceof BacklogFullError) return refusal.message;
  if (refusal.cause instanceof CommitlogError) {
    return `the queue cannot store commits now: ${refusal.cause.clientMessage}`;
  }
  return `the queue cannot store commits now (${refusal.reason}); the ingest's log has the detail, under this answer's X-Request-Id`;
}

/**
 * The 503 for commits the queue refused. When the refusals differ, Redis being unavailable wins
 * (it is the wider problem) and `Retry-After` is the longest of theirs.
 *
 * A refusal that came after its commit was stored (its replicas behind) is counted with the
 * stored ones: "could not be stored" would be untrue of it, and its retry answers `duplicate`.
 *
 * @param refused the refusals, at least one
 * @param stored how many commits of the same request are in Redis all the same, those refused
 *   after they were stored among them
 * @param total how many commits the request carried
 */
export function queueRefusalResponse(
  refused: readonly (QueueUnavailableError | BacklogFullError)[],
  stored: number,
  total: number,
): HttpResponse {
  const unavailable = refused.find((e) => e instanceof QueueUnavailableError);
  const first = unavailable ?? refused[0];
  const retryAfter = Math.max(
    QUEUE_UNAVAILABLE_RETRY_AFTER_S,
    ...refused.map((e) =>
      e instanceof BacklogFullError ? BACKLOG_FULL_RETRY_AFTER_S : QUEUE_UNAVAILABLE_RETRY_AFTER_S,
    ),
  );
  const code = first?.code ?? 'QUEUE_UNAVAILABLE';
  const notStored = refused.filter(
    (e) => !(e instanceof QueueUnavailableError && e.storedAs !== undefined),
  ).length;
  const inBatch = (message: string): string =>
    total > 1
      ? `${refused.length} of ${total} commits were refused (${message}` +
        (notStored > 0 ? `; ${notStored} not stored` : '') +
        `); nothing in this answer is accepted: retry the whole batch` +
        (stored > 0 ? ` (the ${stored} stored now will answer as duplicates)` : '')
      : message;
  const told = first ? toldToClient(first) : 'the queue cannot store commits now';
  return {
    ...errorResponse(503, code, inBatch(told), {
      headers: { 'Retry-After': String(retryAfter) },
    }),
    ...(first ? { logMessage: inBatch(first.message) } : {}),
  };
}
