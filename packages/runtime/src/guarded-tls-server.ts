import type { RequestListener } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { applyLimits, type ConnectionLimits, type GuardedServerOptions } from './guarded-server.ts';

/** A certificate (its chain may follow it) and its unencrypted private key, as PEM text. */
export interface TlsCredentials {
  cert: string;
  key: string;
}

/**
 * The oldest TLS a guarded server speaks. Node's default too, but only until a
 * `--tls-min-v1.0` in NODE_OPTIONS lowers it; and `setSecureContext` forgets a server's
 * `minVersion` unless it is given again.
 */
export const MIN_TLS_VERSION = 'TLSv1.2';

/**
 * An HTTPS server held to the same limits as `createGuardedServer`'s, whose certificate can be
 * replaced while it runs (`useCredentials`). Two things differ from an HTTP server:
 * - before its handshake ends, a connection is no HTTP connection yet: none of the HTTP
 *   time-outs runs, so its handshake gets `headersTimeoutMs` (Node's own is 120 s);
 * - for the same reason `closeIdleConnections` and `closeAllConnections` (a drain's, and
 *   `close()`'s own) would not see it, and a stop would wait for its handshake time-out: they
 *   close the connections still in their handshake too.
 */
export class GuardedTlsServer extends HttpsServer {
  /** Connections accepted whose handshake has not ended, by their peer's address and port. */
  readonly #handshaking = new Map<string, Socket>();

  constructor(
    listener: RequestListener,
    limits: ConnectionLimits,
    credentials: TlsCredentials,
    options: Pick<GuardedServerOptions, 'requireHostHeader'> = {},
  ) {
    super(
      {
        ...credentials,
        minVersion: MIN_TLS_VERSION,
        handshakeTimeout: limits.headersTimeoutMs,
        connectionsCheckingInterval: limits.checkEveryMs,
        ...(options.requireHostHeader === undefined
          ? {}
          : { requireHostHeader: options.requireHostHeader }),
      },
      listener,
    );
    // The raw socket and the TLS socket over it share the peer's address and port, which no
    // other open connection to this server has.
    this.on('connection', (socket: Socket) => {
      const peer = peerOf(socket);
      this.#handshaking.set(peer, socket);
      socket.once('close', () => {
        if (this.#handshaking.get(peer) === socket) this.#handshaking.delete(peer);
      });
    });
    this.on('secureConnection', (socket: TLSSocket) => this.#handshaking.delete(peerOf(socket)));
  }

  /** Serves `credentials` to the handshakes from now on; connections already open keep theirs. */
  useCredentials(credentials: TlsCredentials): void {
    this.setSecureContext({ ...credentials, minVersion: MIN_TLS_VERSION });
  }

  override closeIdleConnections(): void {
    this.#closeHandshakes();
    super.closeIdleConnections();
  }

  override closeAllConnections(): void {
    this.#closeHandshakes();
    super.closeAllConnections();
  }

  #closeHandshakes(): void {
    for (const socket of this.#handshaking.values()) socket.destroy();
    this.#handshaking.clear();
  }
}

function peerOf(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}

/**
 * An HTTPS server held to `limits`, serving `credentials` with TLS 1.2 or later, with the same
 * `options` as `createGuardedServer`.
 */
export function createGuardedTlsServer(
  listener: RequestListener,
  limits: ConnectionLimits,
  credentials: TlsCredentials,
  options: GuardedServerOptions = {},
): GuardedTlsServer {
  return applyLimits(
    new GuardedTlsServer(listener, limits, credentials, options),
    limits,
    options.onDrop,
  );
}
