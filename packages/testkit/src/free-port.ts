import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port handed out. */
const FIRST_PORT = 15_000;

/**
 * The first port of the kernel's ephemeral range (`ip_local_port_range`), from which it takes the
 * local ports of outgoing connections and of listeners on port 0.
 */
function ephemeralStart(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > FIRST_PORT + 1000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a process the test starts to listen on.
 * Picked at random below the ephemeral range, not by listening on port 0: a port from that range
 * can be taken, before the process listens on it, as the local port of any outgoing connection
 * (hundreds of them while the test tracks run side by side), and the process then fails to start
 * with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const end = ephemeralStart();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIRST_PORT + Math.floor(Math.random() * (end - FIRST_PORT));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found between ${FIRST_PORT} and ${end - 1} in 100 tries`);
}

/**
 * A port on 127.0.0.1 where nothing listens, for a dead Redis, Kafka or ingest: the discard
 * port, below the range `freePort` hands out, so that no process another test starts (a broker,
 * a Redis, a role) can appear there in the middle of a test that counts on it staying dead.
 */
export const NOTHING_LISTENS_PORT = 9;
