import { CommitlogError } from '@commitlog/core';
import type { Server } from 'node:http';
import type { Logger } from './logger.ts';

/** Why a listen failed, in words, for Node's usual codes. */
const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the port is taken',
  EADDRNOTAVAIL: 'no interface of this machine has that address',
  EACCES: 'not allowed to listen there (a port below 1024?)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved now',
};

/**
 * A server could not listen where its settings say. Names the settings, for the one line a role
 * that fails to start prints.
 */
export class ListenError extends CommitlogError {
  constructor(host: string, port: number, settings: string, cause: Error & { code?: string }) {
    const why = (cause.code && LISTEN_FAILURES[cause.code]) ?? cause.code ?? 'refused';
    super('LISTEN_FAILED', `cannot listen on ${host}:${port} (${settings}): ${why}`, {
      retriable: false,
      cause,
    });
  }
}

/**
 * Listens on `host:port`; rejects with a `ListenError` naming `settings` (the variables that
 * chose the address, e.g. `INGEST_HOST, INGEST_PORT`) when the port is taken or the address is
 * not this machine's.
 */
export function listenOn(
  server: Server,
  host: string,
  port: number,
  settings: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(new ListenError(host, port, settings, error));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** How often a draining server closes the kept-alive connections that have gone idle, ms. */
const CLOSE_IDLE_EVERY_MS = 100;

/**
 * Stops accepting connections and waits for the requests under way; after `graceMs`, closes the
 * connections still open (a client still sending its body), so a stop always ends. A kept-alive
 * connection whose answer ends during the drain is closed once idle: `close` closes only those
 * idle when it is called, and the others held the stop for the whole grace period.
 */
export async function drainServer(server: Server, graceMs: number, logger: Logger): Promise<void> {
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), CLOSE_IDLE_EVERY_MS);
  const timer = setTimeout(() => {
    logger.warn(
      { graceMs },
      'requests still open after the grace period; closing their connections',
    );
    server.closeAllConnections();
  }, graceMs);
  try {
    await stopped;
  } finally {
    clearTimeout(timer);
    clearInterval(idle);
  }
}
