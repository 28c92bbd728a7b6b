import { createGuardedServer } from '@commitlog/runtime';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { answerClientError, answerUnmetExpectation, type EarlyRefusal } from './client-error.ts';

/**
 * Slowloris guards: a client must send its headers within `HEADERS_TIMEOUT_MS` and its whole
 * request within `REQUEST_TIMEOUT_MS` (a 16 MiB batch needs about 4.5 Mbit/s), or Node answers 408
 * and closes the connection.
 */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * How long a kept-alive connection may sit idle, ms. Longer than Node's 5 s so that the hook's
 * kept-alive connection is seldom closed under it between two commits.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 60_000;
/**
 * How often Node checks the two time-outs above, ms. Its default, 30 s, let a slow client hold
 * its socket (and its body's share of the ingest's body budget) up to 30 s past them.
 */
export const TIMEOUT_CHECK_EVERY_MS = 1000;
/**
 * A socket with nothing read or written for this long is closed, ms: a client that sends
 * requests and never reads the answers would otherwise hold them in memory for good (no request
 * time-out runs once a request is complete). Longer than KEEP_ALIVE_TIMEOUT_MS.
 */
export const SOCKET_IDLE_TIMEOUT_MS = 120_000;

export interface IngestServerOptions {
  /**
   * INGEST_MAX_CONNECTIONS: past it, Node closes a connection as it accepts it, before it
   * reads anything. Without a cap, a flood of idle connections could take every file
   * descriptor, and with them the ingest's Redis reconnects.
   */
  maxConnections: number;
  /** Called for each connection closed that way. */
  onDrop?: () => void;
  /**
   * Called for each request answered before the app saw it (Node's parser refused it, or its
   * `Expect` cannot be met): the app's own counting and logging never see these.
   */
  onEarlyRefusal?: (refusal: EarlyRefusal) => void;
}

/**
 * The HTTP server of the ingest. A request with `Expect: 100-continue` is handed to the app
 * without Node's automatic `100 Continue`: the app sends it only when it is about to read the
 * body, so a client told 415 or 413 (by its declared length) never sends the body at all.
 */
export function createIngestServer(app: RequestListener, options: IngestServerOptions): Server {
  const server = createGuardedServer(
    app,
    {
      maxConnections: options.maxConnections,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      checkEveryMs: TIMEOUT_CHECK_EVERY_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      socketIdleTimeoutMs: SOCKET_IDLE_TIMEOUT_MS,
    },
    options.onDrop,
  );
  const { onEarlyRefusal } = options;
  server.on('checkContinue', app);
  // Node answers these itself with an empty body; every error answer of the ingest is JSON.
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    const refusal = answerClientError(error, socket);
    if (refusal) onEarlyRefusal?.(refusal);
  });
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    onEarlyRefusal?.(answerUnmetExpectation(request, response));
  });
  return server;
}
