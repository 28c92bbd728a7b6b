/**
 * What a handler answers: a status, a JSON body and extra headers. Handlers never touch the HTTP
 * framework; `ingest-app.ts` writes these out.
 */
export interface HttpResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /**
   * What the request's log line gives as the error's message in place of the body's: the detail
   * an operator needs and a client must not see (Redis's own error text names its addresses and
   * users).
   */
  logMessage?: string;
}

/** The body of every error answer (DESIGN.md, "Ingest HTTP API, v1"). */
export interface ErrorBody {
  error: {
    /** Stable, machine-readable: clients branch on it, never on `message`. */
    code: string;
    /** For people; never holds a value from the request (commit values are payment data). */
    message: string;
    /** The field at fault (`commits[2].key`, `""` for the whole body), when there is one. */
    path?: string;
  };
}

/** An error answer with body `{"error": {code, message, path?}}`. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  options: { path?: string; headers?: Record<string, string> } = {},
): HttpResponse & { body: ErrorBody } {
  const error: ErrorBody['error'] = { code, message };
  if (options.path !== undefined) error.path = options.path;
  return {
    status,
    body: { error },
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  };
}

/**
 * The `path` of an error answer about a whole request (one that could not be read): every 400 of
 * the API names the field at fault (DESIGN.md), here none, `""`; other statuses carry no path.
 */
export function wholeRequestPath(status: number): { path?: string } {
  return status === 400 ? { path: '' } : {};
}

/**
 * The answer to an HTTP/1.1 request without a Host header (HTTP/1.0 needs none), or undefined.
 * Node's own answer to it (`requireHostHeader`, turned off in ingest-server.ts) is an empty 400
 * that nothing logs or counts.
 */
export function hostMissing(req: {
  httpVersion: string;
  headers: { host?: string | undefined };
}): (HttpResponse & { body: ErrorBody }) | undefined {
  if (req.httpVersion !== '1.1' || req.headers.host !== undefined) return undefined;
  return errorResponse(
    400,
    'HOST_MISSING',
    'the request has no Host header, which HTTP/1.1 requires',
    wholeRequestPath(400),
  );
}

/** The `error` of an error answer, or undefined for any other answer. */
export function errorOf(response: HttpResponse): ErrorBody['error'] | undefined {
  const body = response.body;
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const error = body.error;
  if (typeof error !== 'object' || error === null) return undefined;
  if (!('code' in error) || typeof error.code !== 'string') return undefined;
  const message = 'message' in error && typeof error.message === 'string' ? error.message : '';
  return { code: error.code, message };
}
