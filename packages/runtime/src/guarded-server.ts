import { createServer, type RequestListener, type Server } from 'node:http';

/**
 * How long and how many connections a server keeps. Node's defaults cap nothing: no connection
 * limit, 60 s for a request's headers, 300 s for the whole request, checked only every 30 s, and
 * no limit at all on a socket that never sends a byte. A flood of such connections could take
 * every file descriptor of the process, and with them its Redis reconnects.
 */
export interface ConnectionLimits {
  /** Past this many open connections, Node closes a new one as it accepts it, unread. */
  maxConnections: number;
  /** A client must send its request's headers within this, ms, or Node answers 408 and closes. */
  headersTimeoutMs: number;
  /** A client must send its whole request within this, ms; at least `headersTimeoutMs`. */
  requestTimeoutMs: number;
  /**
   * How often Node checks the two time-outs above, ms: a slow client holds its socket up to this
   * long past them.
   */
  checkEveryMs: number;
  /** How long a kept-alive connection may wait for its next request, ms. */
  keepAliveTimeoutMs: number;
  /**
   * A socket with nothing read or written for this long is closed, ms: the only limit on one
   * that never sends a byte (the time-outs above start with a request), or that sends requests
   * and never reads the answers. Longer than `keepAliveTimeoutMs`.
   */
  socketIdleTimeoutMs: number;
}

/**
 * The time-outs of a port open to clients (the ingest's commit port, the dashboard's port):
 * - headers within 10 s and the whole request within 30 s (a 16 MiB batch needs about
 *   4.5 Mbit/s; a sign-in form, nothing), or Node answers 408 and closes: slowloris guards;
 * - checked every second: Node's default, 30 s, let a slow client hold its socket (and on the
 *   ingest its body's share of the body budget) up to 30 s past them;
 * - a kept-alive connection waits 60 s for its next request, longer than Node's 5 s, so that a
 *   hook's (or a browser's) connection is seldom closed under it between two requests;
 * - a socket with nothing read or written for 120 s is closed: a client that sends requests and
 *   never reads the answers would otherwise hold them in memory for good (no request time-out
 *   runs once a request is complete). Longer than the keep-alive time-out.
 */
export const CLIENT_TIMEOUTS: Readonly<Omit<ConnectionLimits, 'maxConnections'>> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  checkEveryMs: 1000,
  keepAliveTimeoutMs: 60_000,
  socketIdleTimeoutMs: 120_000,
};

/** `CLIENT_TIMEOUTS` with a cap of `maxConnections` open connections. */
export function clientConnectionLimits(maxConnections: number): ConnectionLimits {
  return { ...CLIENT_TIMEOUTS, maxConnections };
}

/** A connection closed as it was accepted, past `maxConnections`. */
export interface DroppedConnection {
  /** The peer's address, when Node could read it. Not a secret: it names the client to find. */
  remoteAddress?: string | undefined;
}

export interface GuardedServerOptions {
  /** Called for each connection closed as it was accepted, past `maxConnections`. */
  onDrop?: (dropped: DroppedConnection) => void;
  /**
   * `false`: an HTTP/1.1 request without a `Host` header reaches the listener, which then answers
   * it. Default `true`: Node answers it itself, 400 with an empty body, which the listener never
   * sees (so neither logs nor counts it).
   */
  requireHostHeader?: boolean;
}

/** An HTTP server held to `limits`. */
export function createGuardedServer(
  listener: RequestListener,
  limits: ConnectionLimits,
  options: GuardedServerOptions = {},
): Server {
  const server = createServer(
    {
      connectionsCheckingInterval: limits.checkEveryMs,
      ...(options.requireHostHeader === undefined
        ? {}
        : { requireHostHeader: options.requireHostHeader }),
    },
    listener,
  );
  return applyLimits(server, limits, options.onDrop);
}

/**
 * Holds a server made with `connectionsCheckingInterval: limits.checkEveryMs` to the rest of
 * `limits` (the TLS server's factory shares it).
 */
export function applyLimits<S extends Server>(
  server: S,
  limits: ConnectionLimits,
  onDrop?: (dropped: DroppedConnection) => void,
): S {
  server.maxConnections = limits.maxConnections;
  // Node gives the dropped connection's addresses only when a 'drop' listener is there.
  if (onDrop) {
    server.on('drop', (data?: { remoteAddress?: string }) =>
      onDrop({ remoteAddress: data?.remoteAddress }),
    );
  }
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.timeout = limits.socketIdleTimeoutMs;
  return server;
}
