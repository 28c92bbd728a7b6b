import type { Server } from 'node:http';
import type { Logger } from './logger.ts';

/** Listens on `host:port`; rejects when the port is taken or the address is not ours. */
export function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
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
