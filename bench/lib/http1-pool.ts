/**
 * A lean HTTP/1.1 client for the load generator: kept-alive connections, one request in flight on
 * each (no pipelining, like the hook's pool), requests written as one buffer and answers read by
 * their Content-Length. node:http's client cost the load generator about 0.2 ms of CPU per request
 * at 1,140/s open loop, against about 0.1 ms for this, on a machine whose two cores it shares with
 * the processes being measured; its garbage also paused the generator, and a request due during a
 * pause leaves late, which its latency (counted from its intended time) blames on the server.
 *
 * It reads only what the bench's servers send: an answer must carry Content-Length. One that does
 * not, or cannot be read, fails its request (status 0) and closes the connection, never a guess.
 * An answer with `Connection: close` (or an HTTP/1.0 one without keep-alive) closes it too.
 */
import { connect, type Socket } from 'node:net';

export interface Http1Answer {
  /** The HTTP status; 0 when no answer was read (connection refused, reset or timed out). */
  status: number;
  body: Buffer;
}

export interface Http1Pool {
  /** Sends `head` (request line and headers, ending with the blank line) and `body` as one write. */
  request(head: string, body: Buffer): Promise<Http1Answer>;
  /** Closes every connection; requests in flight or waiting answer status 0. */
  close(): void;
}

interface Pending {
  bytes: Buffer;
  resolve: (answer: Http1Answer) => void;
  /** When it fails unanswered (`performance.now()`): `timeoutMs` after it was asked. */
  deadline: number;
}

interface Connection {
  socket: Socket;
  current: Pending | undefined;
  /** Bytes of the current answer read so far. */
  buffered: Buffer | undefined;
  timer: NodeJS.Timeout | undefined;
  /** When it last went idle (`performance.now()`). */
  idleSince: number;
}

const NO_ANSWER: Http1Answer = { status: 0, body: Buffer.alloc(0) };
const HEAD_END = Buffer.from('\r\n\r\n');
/** A head longer than this without its end is not an answer the bench's servers send. */
const MAX_HEAD_BYTES = 16 * 1024;
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})/;
const CONNECTION_CLOSE = /\r\nconnection:[^\r]*\bclose\b/i;
const CONNECTION_KEEP_ALIVE = /\r\nconnection:[^\r]*\bkeep-alive\b/i;

/** What the head and the bytes read so far say: an answer, more to read, or nothing readable. */
export function parseAnswer(
  bytes: Buffer,
):
  | { answer: Http1Answer; rest: Buffer | undefined; keepAlive: boolean }
  | 'incomplete'
  | 'unreadable' {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd < 0) return bytes.length > MAX_HEAD_BYTES ? 'unreadable' : 'incomplete';
  const head = bytes.toString('latin1', 0, headEnd + 2);
  const status = STATUS_LINE.exec(head);
  const length = CONTENT_LENGTH.exec(head);
  if (!status || !length) return 'unreadable';
  const bodyStart = headEnd + HEAD_END.length;
  const bodyEnd = bodyStart + Number(length[1]);
  if (bytes.length < bodyEnd) return 'incomplete';
  // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 only when told to.
  const keepAlive =
    status[1] === '1' ? !CONNECTION_CLOSE.test(head) : CONNECTION_KEEP_ALIVE.test(head);
  return {
    answer: { status: Number(status[2]), body: bytes.subarray(bodyStart, bodyEnd) },
    rest: bytes.length > bodyEnd ? bytes.subarray(bodyEnd) : undefined,
    keepAlive,
  };
}

export function createHttp1Pool(options: {
  host: string;
  port: number;
  /** Most connections open at once; requests beyond them wait for one to be free. */
  connections: number;
  /**
   * A request with no answer this long after it was asked fails (status 0), whether it waited
   * for a connection or was written; the connection it was written to closes. Counted from the
   * asking, so that a server that stops answering ends a step within this of its last request,
   * not after every queued request has had a connection and a time-out of its own.
   */
  timeoutMs: number;
  /**
   * A connection idle longer than this is closed rather than used (default 30 s): the bench's
   * servers close theirs after 60 s (`keepAliveTimeout`), and a request written to a connection
   * the server is closing would fail.
   */
  idleLimitMs?: number;
}): Http1Pool {
  const idleLimitMs = options.idleLimitMs ?? 30_000;
  /** Free connections, the most recently used last: it is taken first (its socket is warm). */
  const idle: Connection[] = [];
  const waiting: Pending[] = [];
  const open = new Set<Connection>();
  let closed = false;

  function finish(conn: Connection, answer: Http1Answer): void {
    const current = conn.current;
    conn.current = undefined;
    conn.buffered = undefined;
    clearTimeout(conn.timer);
    current?.resolve(answer);
  }

  /** Closes the connection, failing its request if it has one; then serves the queue. */
  function drop(conn: Connection): void {
    if (!discard(conn)) return;
    pump();
  }

  /** Closes the connection, failing its request if it has one; false if it was closed already. */
  function discard(conn: Connection): boolean {
    if (!open.delete(conn)) return false;
    const at = idle.indexOf(conn);
    if (at >= 0) idle.splice(at, 1);
    finish(conn, NO_ANSWER);
    conn.socket.destroy();
    return true;
  }

  function onData(conn: Connection, chunk: Buffer): void {
    const bytes = conn.buffered ? Buffer.concat([conn.buffered, chunk]) : chunk;
    if (!conn.current) return drop(conn); // an answer to no request: not a server we know
    const parsed = parseAnswer(bytes);
    if (parsed === 'unreadable') return drop(conn);
    if (parsed === 'incomplete') {
      conn.buffered = bytes;
      return;
    }
    finish(conn, parsed.answer);
    // Bytes past the answer, with one request in flight, come from a server we do not know; and
    // a server that said it closes the connection would never read the next request on it.
    if (parsed.rest || !parsed.keepAlive) return drop(conn);
    conn.idleSince = performance.now();
    // An idle socket does not keep the process alive (as node:http's agent does with its own).
    conn.socket.unref();
    idle.push(conn);
    pump();
  }

  function openConnection(): Connection {
    const socket = connect({ host: options.host, port: options.port, noDelay: true });
    const conn: Connection = {
      socket,
      current: undefined,
      buffered: undefined,
      timer: undefined,
      idleSince: 0,
    };
    open.add(conn);
    socket.on('data', (chunk: Buffer) => onData(conn, chunk));
    socket.on('error', () => drop(conn));
    socket.on('close', () => drop(conn));
    return conn;
  }

  function pump(): void {
    while (!closed && waiting.length > 0) {
      // Asked in order, so the first is the one closest to its deadline.
      if (waiting[0]!.deadline <= performance.now()) {
        waiting.shift()!.resolve(NO_ANSWER);
        continue;
      }
      const reused = idle.pop();
      if (reused && performance.now() - reused.idleSince > idleLimitMs) {
        discard(reused);
        continue;
      }
      reused?.socket.ref();
      const conn = reused ?? (open.size < options.connections ? openConnection() : undefined);
      if (!conn) return;
      const next = waiting.shift()!;
      conn.current = next;
      conn.timer = setTimeout(() => drop(conn), next.deadline - performance.now());
      conn.socket.write(next.bytes);
    }
  }

  return {
    request(head, body) {
      if (closed) return Promise.resolve(NO_ANSWER);
      return new Promise((resolve) => {
        waiting.push({
          bytes: Buffer.concat([Buffer.from(head, 'latin1'), body]),
          resolve,
          deadline: performance.now() + options.timeoutMs,
        });
        pump();
      });
    },
    close() {
      closed = true;
      for (const conn of [...open]) drop(conn);
      for (const pending of waiting.splice(0)) pending.resolve(NO_ANSWER);
    },
  };
}
