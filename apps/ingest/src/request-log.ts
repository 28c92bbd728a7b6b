import type { Logger } from '@commitlog/runtime';
import type { RequestSummary } from './request-summary.ts';

/** One answered request, as the log line and the metrics see it. */
export interface FinishedRequest {
  /** Also sent as `X-Request-Id`. */
  requestId: string;
  method: string;
  /** The route's pattern (`/v1/commits`), or `unknown`. */
  route: string;
  /** The status answered, or about to be when `aborted`. */
  status: number;
  /** The client went away before the answer was sent. */
  aborted: boolean;
  /**
   * The client's address: the connection's peer (a hook, or the proxy or balancer in front of
   * it; the ingest trusts no `X-Forwarded-For`). Logged, not counted: it names the host that
   * sends a wrong signature or has a wrong clock. Not a secret, and no value of a commit.
   */
  client: string | undefined;
  seconds: number;
  /** The error of an error answer (its message never holds a value from the request). */
  error: { code: string; message: string } | undefined;
  summary: RequestSummary | undefined;
  /**
   * For a commit request whose signature checked out: the hook version its User-Agent names, or
   * `other` (see `hookVersionOf`). Absent for any other request. Counted, not logged.
   */
  hookVersion?: string;
}

/**
 * Logs one line per request: method, route, status, client address, duration, and what the
 * summary says (commit count; bucket, key, id and lane of a single commit). Never a body, a value
 * or a header.
 * At info; 5xx at warn; `quiet` requests (probes and scrapes, which come every few seconds and
 * would drown the commits' lines) at debug.
 */
export function logRequest(
  logger: Logger,
  request: FinishedRequest,
  options: { quiet?: boolean } = {},
): void {
  const { summary, error } = request;
  const line = {
    requestId: request.requestId,
    method: request.method,
    route: request.route,
    status: request.status,
    client: request.client,
    ...(request.aborted ? { aborted: true } : {}),
    ms: Math.round(request.seconds * 1e6) / 1e3,
    // The summary's fields are ours (RequestSummary), never keys from the request.
    ...summary,
    ...(error === undefined ? {} : { code: error.code, reason: withoutMapNames(error.message) }),
  };
  if (options.quiet) logger.debug(line, 'request');
  else if (request.status >= 500) logger.warn(line, 'request');
  else logger.info(line, 'request');
}

/**
 * An error message with the names inside `usermeta` and `indexes` taken out of its field path
 * (`siblings[0].usermeta["x-card"]: …` becomes `siblings[0].usermeta[…]: …`): those names are
 * the client's metadata, which the log keeps out as it keeps out values. The client's own 400
 * body names the field in full.
 */
export function withoutMapNames(message: string): string {
  return message.replace(
    /\b(usermeta|indexes)(?:\["(?:[^"\\]|\\.)*"\]|\.[A-Za-z_$][\w$]*)/g,
    '$1[…]',
  );
}
