/**
 * A small HTTP client for the ingest's tests (test code only). Unlike fetch it shows every
 * response header (Connection included) and survives a server that answers before the body is
 * sent and then closes the connection, as the ingest does for a body over its limit.
 */
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

/** A response read to its end, its body as text and, when it is JSON, parsed. */
export function readResponse(res: IncomingMessage): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
    });
  });
}

export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        answered = true;
        readResponse(res).then(resolve, reject);
      },
    );
    // A server that refuses a body early closes the connection while it is still being sent.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

/** POSTs `body` as a JSON request with the given headers. */
export function post(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
): Promise<TestResponse> {
  return httpRequest(url, { method: 'POST', headers, body });
}

/**
 * POSTs with `Expect: 100-continue`, sending the body only once the server says `100 Continue`.
 * `continued` tells whether it did.
 */
export function postExpectingContinue(
  url: string,
  body: Uint8Array,
  headers: Record<string, string>,
): Promise<TestResponse & { continued: boolean }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, expect: '100-continue', 'content-length': String(body.byteLength) },
    });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (!continued) req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: JSON.parse(text) as unknown,
          continued,
        });
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

/** One HTTP response read off a raw connection. */
export interface RawResponse {
  status: number;
  /** The status line and headers, as sent. */
  head: string;
  body: string;
}

/** A raw TCP connection to the ingest, for what an HTTP client library hides (resets, reuse). */
export interface RawConnection {
  write(data: string | Uint8Array): void;
  /** The next response on the connection (its body read by `Content-Length`). */
  nextResponse(): Promise<RawResponse>;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
  /** The connection's error, if it had one (a reset: `ECONNRESET`). */
  error(): Error | undefined;
  destroy(): void;
}

export async function rawConnection(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffered = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  let failure: Error | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiting?.();
  });
  socket.on('error', (error) => {
    failure = error;
    waiting?.();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

  /** A whole response at the start of `buffered`, taken off it; undefined until one is there. */
  function take(): RawResponse | undefined {
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = buffered.subarray(0, end).toString('latin1');
    const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
    if (buffered.byteLength < end + 4 + length) return undefined;
    const body = buffered.subarray(end + 4, end + 4 + length).toString('utf8');
    buffered = buffered.subarray(end + 4 + length);
    return { status: Number(head.split(' ')[1]), head, body };
  }

  return {
    write: (data) => void socket.write(data),
    nextResponse: () =>
      new Promise<RawResponse>((resolve, reject) => {
        const check = (): void => {
          const response = take();
          if (response) {
            waiting = undefined;
            resolve(response);
          } else if (failure) {
            reject(failure);
          }
        };
        waiting = check;
        check();
      }),
    closed,
    error: () => failure,
    destroy: () => socket.destroy(),
  };
}
