import {
  createGuardedServer,
  createGuardedTlsServer,
  type ConnectionLimits,
  type GuardedTlsServer,
  type TlsCredentials,
} from '@commitlog/runtime';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { answerClientError, answerUnmetExpectation, type EarlyRefusal } from './client-error.ts';
import { tlsFailureReason, type TlsFailureReason } from './tls-metrics.ts';

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
  /**
   * INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE, read: with them the server speaks HTTPS only
   * (TLS 1.2 or later), under the same limits. Default none: plain HTTP.
   */
  tls?: TlsCredentials;
  /** Called for each TLS handshake that failed (with `tls` only): the app never sees these. */
  onHandshakeFailure?: (failure: HandshakeFailure) => void;
}

/** A failed TLS handshake: why, and from where (to find the client). */
export interface HandshakeFailure {
  reason: TlsFailureReason;
  /** Node's or OpenSSL's code, e.g. `ERR_SSL_HTTP_REQUEST`. */
  code: string | undefined;
  remoteAddress: string | undefined;
}

const LIMITS: ConnectionLimits = {
  maxConnections: 0,
  headersTimeoutMs: HEADERS_TIMEOUT_MS,
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
  checkEveryMs: TIMEOUT_CHECK_EVERY_MS,
  keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
  socketIdleTimeoutMs: SOCKET_IDLE_TIMEOUT_MS,
};

/**
 * The HTTP server of the ingest, or its HTTPS one with `tls` (the same limits and handlers; a
 * `GuardedTlsServer`, whose certificate can be replaced). A request with `Expect: 100-continue`
 * is handed to the app without Node's automatic `100 Continue`: the app sends it only when it is
 * about to read the body, so a client told 415 or 413 (by its declared length) never sends the
 * body at all.
 */
export function createIngestServer(
  app: RequestListener,
  options: IngestServerOptions & { tls: TlsCredentials },
): GuardedTlsServer;
export function createIngestServer(app: RequestListener, options: IngestServerOptions): Server;
export function createIngestServer(app: RequestListener, options: IngestServerOptions): Server {
  const limits = { ...LIMITS, maxConnections: options.maxConnections };
  const server =
    options.tls === undefined
      ? createGuardedServer(app, limits, options.onDrop)
      : createGuardedTlsServer(app, limits, options.tls, options.onDrop);
  const { onEarlyRefusal, onHandshakeFailure } = options;
  // Node closes the connection itself: a client that spoke plain HTTP gets no answer at all.
  server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    onHandshakeFailure?.({
      reason: tlsFailureReason(error),
      code: error.code,
      remoteAddress: socket.remoteAddress,
    });
  });
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
