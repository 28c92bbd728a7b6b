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
 * An HTTP server held to `limits`; `onDrop` is called for each connection closed as it was
 * accepted, past `maxConnections`.
 */
export function createGuardedServer(
  listener: RequestListener,
  limits: ConnectionLimits,
  onDrop?: () => void,
): Server {
  const server = createServer({ connectionsCheckingInterval: limits.checkEveryMs }, listener);
  return applyLimits(server, limits, onDrop);
}

/**
 * Holds a server made with `connectionsCheckingInterval: limits.checkEveryMs` to the rest of
 * `limits` (the TLS server's factory shares it).
 */
export function applyLimits<S extends Server>(
  server: S,
  limits: ConnectionLimits,
  onDrop?: () => void,
): S {
  server.maxConnections = limits.maxConnections;
  if (onDrop) server.on('drop', () => onDrop());
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.timeout = limits.socketIdleTimeoutMs;
  return server;
}
