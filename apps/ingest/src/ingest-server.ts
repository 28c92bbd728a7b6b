import {
  clientConnectionLimits,
  createGuardedServer,
  createGuardedTlsServer,
  type ConnectionLimits,
  type DroppedConnection,
  type GuardedServerOptions,
  type GuardedTlsServer,
  type TlsCredentials,
} from '@commitlog/runtime';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { answerClientError, answerUnmetExpectation, type EarlyRefusal } from './client-error.ts';
import { tlsFailureReason, type TlsFailureReason } from './tls-metrics.ts';

export interface IngestServerOptions {
  /**
   * INGEST_MAX_CONNECTIONS: past it, Node closes a connection as it accepts it, before it
   * reads anything. Without a cap, a flood of idle connections could take every file
   * descriptor, and with them the ingest's Redis reconnects.
   */
  maxConnections: number;
  /** Called for each connection closed that way. */
  onDrop?: (dropped: DroppedConnection) => void;
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
  /** `CLIENT_TIMEOUTS`, some replaced: for tests, which cannot wait the real ones out. */
  timeouts?: Partial<Omit<ConnectionLimits, 'maxConnections'>>;
}

/** A failed TLS handshake: why, and from where (to find the client). */
export interface HandshakeFailure {
  reason: TlsFailureReason;
  /** Node's or OpenSSL's code, e.g. `ERR_SSL_HTTP_REQUEST`. */
  code: string | undefined;
  remoteAddress: string | undefined;
}

/**
 * The HTTP server of the ingest, or its HTTPS one with `tls` (the same limits and handlers; a
 * `GuardedTlsServer`, whose certificate can be replaced), held to the time-outs of every port
 * open to clients (`CLIENT_TIMEOUTS`). A request with `Expect: 100-continue` is handed to the app
 * without Node's automatic `100 Continue`: the app sends it only when it is about to read the
 * body, so a client told 415 or 413 (by its declared length) never sends the body at all. A
 * request without `Host` is handed to the app too, which answers it in JSON, logged and counted
 * (Node's own answer is an empty 400 that neither sees).
 */
export function createIngestServer(
  app: RequestListener,
  options: IngestServerOptions & { tls: TlsCredentials },
): GuardedTlsServer;
export function createIngestServer(app: RequestListener, options: IngestServerOptions): Server;
export function createIngestServer(app: RequestListener, options: IngestServerOptions): Server {
  const limits = { ...clientConnectionLimits(options.maxConnections), ...options.timeouts };
  const serverOptions: GuardedServerOptions = {
    requireHostHeader: false,
    ...(options.onDrop === undefined ? {} : { onDrop: options.onDrop }),
  };
  const server =
    options.tls === undefined
      ? createGuardedServer(app, limits, serverOptions)
      : createGuardedTlsServer(app, limits, options.tls, serverOptions);
  const { onEarlyRefusal, onHandshakeFailure } = options;
  // Node's https.Server re-emits every 'tlsClientError' as a 'clientError' (its own listener,
  // added as it was made). Prepended, this one runs first and marks the socket, so that the
  // listener below closes it without a word: a connection that never finished its handshake
  // (most often one that sent nothing before the handshake time-out) is no HTTP request to
  // answer 400, count and log as one; and it is closed at once, not held for an answer's sake.
  const failedHandshakes = new WeakSet<Duplex>();
  server.prependListener(
    'tlsClientError',
    (error: Error & { code?: string }, socket: TLSSocket) => {
      failedHandshakes.add(socket);
      onHandshakeFailure?.({
        reason: tlsFailureReason(error),
        code: error.code,
        remoteAddress: socket.remoteAddress,
      });
    },
  );
  server.on('checkContinue', app);
  // Node answers these itself with an empty body; every error answer of the ingest is JSON.
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    if (failedHandshakes.has(socket)) {
      socket.destroy();
      return;
    }
    const refusal = answerClientError(error, socket);
    if (refusal) onEarlyRefusal?.(refusal);
  });
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    onEarlyRefusal?.(answerUnmetExpectation(request, response));
  });
  return server;
}
