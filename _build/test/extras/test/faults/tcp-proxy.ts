/**
 * A small TCP proxy the fault tests put between two parts of the system (the ingest and Redis, a
 * worker and Redis, a worker and Kafka) to break the network between them on demand: latency, a
 * bandwidth cap, a blackhole (connections are accepted, nothing is answered) and resets.
 *
 * Inputs: the address to forward to. Outputs: a local port; `setFault` changes what happens to
 * every connection, open or new. Loopback only.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** What the proxy does to the bytes going through it, in both directions. */
export type ProxyFault =
  | { kind: 'none' }
  /** Every chunk is held `ms` milliseconds before it is passed on (order kept). */
  | { kind: 'latency'; ms: number }
  /** Each direction of each connection is paced to `bytesPerSecond`. */
  | { kind: 'bandwidth'; bytesPerSecond: number }
  /**
   * Connections are accepted and bytes are taken but held, never passed on: as a network
   * partition looks to both ends. When the fault ends, what was held goes through (as TCP's
   * retransmissions would deliver it), unless an end gave up and closed first.
   */
  | { kind: 'blackhole' }
  /** Every open connection is reset (RST) now, and every new one at once. */
  | { kind: 'reset' };

export interface ProxyStats {
  /** Connections accepted since the start. */
  accepted: number;
  /** Connections open now. */
  open: number;
  /** Connections the proxy reset. */
  resets: number;
  /** Bytes taken from either end and not passed on yet (a blackhole's, a latency's). */
  heldBytes: number;
}

export interface TcpProxy {
  port: number;
  /** `127.0.0.1:<port>`. */
  address: string;
  setFault(fault: ProxyFault): void;
  /**
   * Where new connections lead from now on; open ones keep theirs. With a reset, a failover:
   * clients that reconnect reach another server at the same address.
   */
  setTarget(target: { host: string; port: number }): void;
  fault(): ProxyFault;
  stats(): ProxyStats;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Held bytes per direction past which the sending side is paused (bounded memory). */
const MAX_HELD_BYTES = 4 * 1024 * 1024;

/** One direction of one connection: takes chunks from `from`, writes them to `to` as the fault allows. */
class Direction {
  private readonly held: { data: Buffer; due: number }[] = [];
  heldBytes = 0;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;
  /** Bandwidth pacing: when the next byte may go. */
  private nextSendAt = 0;

  private readonly from: Socket;
  private readonly to: Socket;
  private readonly fault: () => ProxyFault;

  constructor(from: Socket, to: Socket, fault: () => ProxyFault) {
    this.from = from;
    this.to = to;
    this.fault = fault;
    from.on('data', (data: Buffer) => this.take(data));
    from.on('end', () => {
      this.ended = true;
      this.pump();
    });
    to.on('drain', () => this.pump());
  }

  private take(data: Buffer): void {
    const fault = this.fault();
    const due = Date.now() + (fault.kind === 'latency' ? fault.ms : 0);
    this.held.push({ data, due });
    this.heldBytes += data.length;
    if (this.heldBytes > MAX_HELD_BYTES) this.from.pause();
    this.pump();
  }

  /** Passes on what the fault lets through now, and schedules itself for the rest. */
  pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const fault = this.fault();
    if (fault.kind === 'blackhole' || this.to.destroyed) return;
    while (this.held.length > 0) {
      if (this.to.writableNeedDrain) return;
      const head = this.held[0]!;
      const now = Date.now();
      const wait = Math.max(head.due, fault.kind === 'bandwidth' ? this.nextSendAt : 0) - now;
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        return;
      }
      let chunk = head.data;
      if (fault.kind === 'bandwidth') {
        // At most a tenth of a second's worth at a time, so the pace is smooth.
        const slice = Math.max(1, Math.floor(fault.bytesPerSecond / 10));
        chunk = head.data.subarray(0, slice);
        head.data = head.data.subarray(chunk.length);
        this.nextSendAt = now + (chunk.length * 1000) / fault.bytesPerSecond;
        if (head.data.length === 0) this.held.shift();
      } else {
        this.held.shift();
      }
      this.heldBytes -= chunk.length;
      this.to.write(chunk);
    }
    if (this.heldBytes <= MAX_HELD_BYTES) this.from.resume();
    if (this.ended) this.to.end();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

interface Connection {
  client: Socket;
  upstream: Socket;
  directions: Direction[];
}

/** Starts a proxy on 127.0.0.1 that forwards to `target`; no fault until `setFault`. */
export async function startTcpProxy(options: {
  target: { host: string; port: number };
  /** Default: a free port. */
  listenPort?: number;
}): Promise<TcpProxy> {
  let current: ProxyFault = { kind: 'none' };
  let target = options.target;
  const connections = new Set<Connection>();
  const stats: Omit<ProxyStats, 'heldBytes'> = { accepted: 0, open: 0, resets: 0 };

  const reset = (c: Connection): void => {
    stats.resets++;
    for (const d of c.directions) d.stop();
    c.client.resetAndDestroy();
    c.upstream.resetAndDestroy();
  };

  const server: Server = createServer((client) => {
    stats.accepted++;
    client.on('error', () => undefined);
    if (current.kind === 'reset') {
      stats.resets++;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port });
    upstream.on('error', () => undefined);
    const fault = (): ProxyFault => current;
    const c: Connection = {
      client,
      upstream,
      directions: [new Direction(client, upstream, fault), new Direction(upstream, client, fault)],
    };
    connections.add(c);
    stats.open++;
    const closeBoth = (): void => {
      if (!connections.delete(c)) return;
      stats.open--;
      for (const d of c.directions) d.stop();
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('proxy: no listening address');

  return {
    port: address.port,
    address: `127.0.0.1:${address.port}`,
    fault: () => current,
    stats: () => ({
      ...stats,
      heldBytes: [...connections].reduce(
        (sum, c) => sum + c.directions.reduce((n, d) => n + d.heldBytes, 0),
        0,
      ),
    }),
    setTarget(next) {
      target = next;
    },
    setFault(fault) {
      current = fault;
      for (const c of [...connections]) {
        if (fault.kind === 'reset') reset(c);
        else for (const d of c.directions) d.pump();
      }
    },
    async close() {
      for (const c of [...connections]) {
        for (const d of c.directions) d.stop();
        c.client.destroy();
        c.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
