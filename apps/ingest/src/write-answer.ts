import type { IncomingMessage, ServerResponse } from 'node:http';

/** An answer ready to write: its status, media type and whole body. */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Most declared bytes of a refused, unread body that the ingest reads and throws away before it
 * closes the connection, rather than closing it at once: 32 MiB, twice the largest batch.
 */
export const DRAIN_REFUSED_BODY_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Longest the ingest drains a refused body before it closes the connection anyway, ms: 2 s.
 * Without it a client that declares a body and trickles it (a byte every few seconds) held its
 * connection, one of INGEST_MAX_CONNECTIONS, up to the request time-out (30 s) after its refusal,
 * unsigned. A hook's refused body (a signed batch over its limit, answered 413 on its declared
 * length, or one refused 503 part-way) comes at LAN speed, well within it: 32 MiB at 1 Gbit/s is
 * about 0.3 s.
 */
export const DRAIN_REFUSED_BODY_MAX_MS = 2000;

/**
 * Writes `answer` and decides what becomes of the connection after it.
 *
 * Only an answer the caller says may keep its connection (`keepAlive`: the ingest's to a request
 * whose signature checked out, while it is not stopping) leaves it open for the next request. Every other answer says
 * `Connection: close` and closes it: a refusal (no signature, a bad or expired one, 415, 413,
 * 503 before the signature was checked), a 404, a probe. Otherwise any host that reaches the port
 * could hold every one of INGEST_MAX_CONNECTIONS with a cheap unsigned request now and then, and
 * the hooks' connections would be closed as they were accepted. Counting per address is no fix:
 * hooks often come through one proxy or balancer address.
 *
 * A refusal given before its body was read to its end is written whole at once, and the
 * connection closed only once the rest of the body was read and thrown away (`drainsBody`):
 * closing while the client is still sending makes the kernel answer the bytes that keep coming
 * with a reset, and a reset can destroy the answer before the client has read it (the hook would
 * see a broken connection instead of the reason, and count it toward opening its breaker). That
 * drain lasts at most `drainMs` (default `DRAIN_REFUSED_BODY_MAX_MS`); then the connection is
 * closed, the rest unread.
 */
export function writeAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  answer: Answer,
  keepAlive: boolean,
  drainMs: number = DRAIN_REFUSED_BODY_MAX_MS,
): void {
  res.statusCode = answer.status;
  res.setHeader('Content-Type', answer.contentType);
  res.setHeader('Content-Length', Buffer.byteLength(answer.body));
  if (keepAlive && req.complete) {
    res.end(answer.body);
    return;
  }
  res.setHeader('Connection', 'close');
  if (req.complete || !drainsBody(req)) {
    // Node closes the connection once this is sent.
    res.end(answer.body);
    return;
  }
  // The answer is whole at once (its Content-Length) and the client may act on it; `end`, after
  // which Node closes the connection, waits for the body's end (or the client's going away).
  res.write(answer.body);
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearTimeout(cutOff);
    res.end();
  };
  // The answer went out whole `drainMs` ago: a client still sending has had time to read it.
  const cutOff = setTimeout(() => {
    if (ended) return;
    ended = true;
    req.socket.destroy();
  }, drainMs);
  cutOff.unref();
  req.once('end', end);
  req.once('close', end);
  req.resume();
}

/**
 * Whether the rest of a body not read to its end is drained before the connection closes. Only
 * one of a declared, bounded length; a client waiting for `100 Continue` that was not sent it
 * (nothing was read) has not sent its body, and never will.
 */
function drainsBody(req: IncomingMessage): boolean {
  if (req.headers.expect !== undefined && !req.readableDidRead) return false;
  const length = Number(req.headers['content-length'] ?? NaN);
  return Number.isSafeInteger(length) && length <= DRAIN_REFUSED_BODY_MAX_BYTES;
}
