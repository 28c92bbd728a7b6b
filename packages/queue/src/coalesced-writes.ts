import { Cluster, type Redis } from 'ioredis';
import type { Writable } from 'node:stream';
import type { RedisConnection } from './redis-connection.ts';

/**
 * Makes every command a client writes during one turn of the event loop leave in one write to
 * its socket: the first write of a turn corks the socket, and the socket is uncorked once the
 * turn's callbacks and promise continuations have run (`setImmediate`).
 *
 * Why: on a loopback connection each write is a system call that also runs the receiving side's
 * TCP work and wakes Redis, and Redis then reads, runs and (with `appendfsync always`) fsyncs
 * once per wake-up. Profiled under the benchmark's load, writes to Redis were the largest single
 * cost of both the ingest and the worker: every lane's look-up and add (now one script), every lane
 * worker's moveToActive, start of delivery and moveToFinished was a write of its own, although
 * many of them are issued together (a flush of the ingest, a Kafka acknowledgement that resumes
 * many lanes at once).
 *
 * Unlike ioredis's `enableAutoPipelining` (which BullMQ users have reported trouble with), this
 * changes no command and no order: the same bytes reach the socket in the same order, only in
 * fewer writes. What a command waits for is the end of the current turn of the event loop.
 */
export function coalesceWrites(connection: RedisConnection): void {
  if (connection instanceof Cluster) {
    connection.on('+node', (node: Redis) => coalesceClientWrites(node));
    for (const node of connection.nodes()) coalesceClientWrites(node);
    return;
  }
  coalesceClientWrites(connection);
}

/** Clients already set up: a cluster announces a node again when its slots are refreshed. */
const coalescing = new WeakSet<Redis>();

function coalesceClientWrites(client: Redis): void {
  if (coalescing.has(client)) return;
  coalescing.add(client);
  // Each (re)connection brings a new socket; commands are only written once it is connected.
  const onConnect = (): void => {
    const socket = (client as unknown as { stream?: Writable }).stream;
    if (socket) corkEachTurn(socket);
  };
  client.on('connect', onConnect);
  if (client.status === 'connect' || client.status === 'ready') onConnect();
}

const corking = new WeakSet<Writable>();

/** Wraps `socket.write` so that the writes of one event-loop turn are sent together. */
export function corkEachTurn(socket: Writable): void {
  if (corking.has(socket)) return;
  corking.add(socket);
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((...args: unknown[]): boolean => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write(...args);
  }) as Writable['write'];
}
