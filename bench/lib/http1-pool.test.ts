import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHttp1Pool, parseAnswer, type Http1Pool } from './http1-pool.ts';

const servers: Server[] = [];
const pools: Http1Pool[] = [];

afterEach(async () => {
  for (const pool of pools.splice(0)) pool.close();
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((r) => s.close(r));
    }),
  );
});

/** A server on a free loopback port; counts the connections it accepted. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString()));
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => sockets.add(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, sockets };
}

/** Answers with `text` and its Content-Length, as every design of the bench does. */
function reply(res: ServerResponse, status: number, text: string, headers = {}): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function pool(port: number, connections = 2, timeoutMs = 5000, idleLimitMs?: number): Http1Pool {
  const p = createHttp1Pool({
    host: '127.0.0.1',
    port,
    connections,
    timeoutMs,
    ...(idleLimitMs === undefined ? {} : { idleLimitMs }),
  });
  pools.push(p);
  return p;
}

const post = (p: Http1Pool, body: string, extra = '') =>
  p.request(
    `POST /v1/commits HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`,
    Buffer.from(body),
  );

describe('createHttp1Pool', () => {
  it('answers each request with its status and body over at most `connections` sockets', async () => {
    const { port, sockets } = await serve((req, res, body) => {
      const json = JSON.stringify({ echo: body, signature: req.headers['x-sig'] });
      reply(res, body === 'busy' ? 503 : 202, json);
    });
    const p = pool(port, 2);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(p, i === 7 ? 'busy' : `c${i}`, 'X-Sig: s1\r\n')),
    );
    expect(answers.map((a) => a.status)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i === 7 ? 503 : 202)),
    );
    answers.forEach((answer, i) =>
      expect(JSON.parse(answer.body.toString())).toEqual({
        echo: i === 7 ? 'busy' : `c${i}`,
        signature: 's1',
      }),
    );
    expect(sockets.size).toBe(2);
  });

  it('reads an answer that arrives in pieces', async () => {
    const { port } = await serve((_req, res) => {
      const socket = res.socket!;
      socket.write('HTTP/1.1 202 Accepted\r\nContent-Le');
      setTimeout(() => socket.write('ngth: 11\r\n\r\n{"id":'), 20);
      setTimeout(() => socket.write('"ab"}'), 40);
    });
    const answer = await post(pool(port), 'x');
    expect(answer.status).toBe(202);
    expect(answer.body.toString()).toBe('{"id":"ab"}');
  });

  it('fails an answer without Content-Length, then goes on with a new connection', async () => {
    let calls = 0;
    const { port, sockets } = await serve((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(202); // chunked: no length
        res.write('{"id":');
        setTimeout(() => res.end('"a"}'), 10);
      } else {
        reply(res, 202, '{}');
      }
    });
    const p = pool(port, 1);
    expect((await post(p, 'a')).status).toBe(0);
    expect((await post(p, 'b')).status).toBe(202);
    expect(sockets.size).toBe(2);
  });

  it('fails a request whose connection the server resets, or that outlives its timeout', async () => {
    const { port } = await serve((req, res, body) => {
      if (body === 'reset') req.socket.destroy();
      else if (body !== 'hang') res.end('ok');
    });
    const p = pool(port, 4, 200);
    const [reset, hang, fine] = await Promise.all([
      post(p, 'reset'),
      post(p, 'hang'),
      post(p, 'x'),
    ]);
    expect(reset.status).toBe(0);
    expect(hang.status).toBe(0);
    expect(fine.status).toBe(200);
  });

  it('fails a request that waited for a connection at its own deadline, without sending it', async () => {
    const { port } = await serve(() => undefined); // takes requests, never answers
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const p = pool(port, 1, 1000);
      const written = post(p, 'a');
      const queued = post(p, 'b');
      // Both were asked at the same moment. When the first times out, the second has spent its
      // time waiting: it fails too, and does not get a connection and a time-out of its own (a
      // server that stops answering would otherwise hold a step for requests ÷ connections ×
      // the time-out).
      vi.advanceTimersByTime(1000);
      const pending = Promise.resolve({ status: -1, body: Buffer.alloc(0) });
      expect((await Promise.race([written, pending])).status).toBe(0);
      expect((await Promise.race([queued, pending])).status).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails requests to a port nobody listens on, and every request once closed', async () => {
    const { port } = await serve(() => undefined);
    const p = pool(port, 1, 60_000);
    const hanging = post(p, 'never answered');
    const queued = post(p, 'waits for the only connection');
    await new Promise((r) => setTimeout(r, 50));
    p.close();
    expect((await hanging).status).toBe(0);
    expect((await queued).status).toBe(0);
    expect((await post(p, 'after close')).status).toBe(0);

    const free = await serve(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    expect((await post(pool(free.port), 'x')).status).toBe(0);
  });
});

describe('createHttp1Pool, connections it must not use again', () => {
  it('serves a queued request once the only connection was dropped, and destroys that socket', async () => {
    let calls = 0;
    const { port, sockets } = await serve((_req, res) => {
      if (++calls === 1) {
        res.writeHead(202); // its head goes first, without a length: chunked
        res.end('{}');
      } else {
        reply(res, 202, '{}');
      }
    });
    const p = pool(port, 1);
    const statuses = await Promise.all([post(p, 'a'), post(p, 'b')]);
    expect(statuses.map((a) => a.status)).toEqual([0, 202]);
    const [first] = sockets;
    await new Promise((r) => (first!.destroyed ? r(undefined) : first!.once('close', r)));
    expect(first!.destroyed).toBe(true);
  });

  it("does not let a finished request's deadline close the connection under the next one", async () => {
    const { port, sockets } = await serve((_req, res, body) => {
      const answer = () => {
        reply(res, 200, 'ok');
      };
      if (body === 'slow') setTimeout(answer, 500);
      else answer();
    });
    // The first request's deadline (1 s) falls while the second is in flight (0.7 to 1.2 s); the
    // second's own (1.7 s) leaves half a second to a loaded machine.
    const p = pool(port, 1, 1000);
    expect((await post(p, 'fast')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 700));
    // Answered about 1.2 s after the first request went out: past its deadline, not this one's.
    expect((await post(p, 'slow')).status).toBe(200);
    expect(sockets.size).toBe(1);
  });

  it('closes a connection the server says it closes, and sends nothing more on it', async () => {
    let requests = 0;
    const { port, sockets } = await serve((_req, res) => {
      requests++;
      reply(res, 503, '{}', { connection: 'close' });
    });
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(pool(port, 1), 'x')));
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503, 503]);
    const p = pool(port, 1);
    const inTurn = await Promise.all([post(p, 'a'), post(p, 'b'), post(p, 'c')]);
    expect(inTurn.map((a) => a.status)).toEqual([503, 503, 503]);
    expect(requests).toBe(7);
    expect(sockets.size).toBe(7);
  });

  it('closes a connection idle past its limit instead of sending on it', async () => {
    const { port, sockets } = await serve((_req, res) => {
      reply(res, 200, 'ok');
    });
    const p = pool(port, 1, 5000, 30);
    expect((await post(p, 'a')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 60));
    expect((await post(p, 'b')).status).toBe(200);
    expect(sockets.size).toBe(2);
  });

  it('keeps the answer but drops the connection when bytes come past it or unasked', async () => {
    let connections = 0;
    const server = createTcpServer((socket) => {
      const n = ++connections;
      socket.once('data', () => {
        const answer = 'HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}';
        if (n === 1)
          socket.write(`${answer}HTTP/1.1 200 OK`); // bytes past the answer
        else {
          socket.write(answer);
          setTimeout(() => socket.write('unasked'), 20); // bytes while idle
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const p = pool(port, 1);
    try {
      expect((await post(p, 'a')).status).toBe(202);
      expect((await post(p, 'b')).status).toBe(202);
      await new Promise((r) => setTimeout(r, 50));
      expect((await post(p, 'c')).status).toBe(202);
      expect(connections).toBe(3);
    } finally {
      p.close();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('parseAnswer', () => {
  const bytes = (s: string) => Buffer.from(s, 'latin1');

  it('waits for the rest of a head or a body', () => {
    expect(parseAnswer(bytes('HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n'))).toBe('incomplete');
    expect(parseAnswer(bytes('HTTP/1.1 202 Accepted\r\nContent-Length: 4\r\n\r\n{}'))).toBe(
      'incomplete',
    );
  });

  it('refuses what is not an HTTP/1 answer with a length', () => {
    expect(parseAnswer(bytes('HTTP/2 200\r\ncontent-length: 0\r\n\r\n'))).toBe('unreadable');
    expect(parseAnswer(bytes('HTTP/1.1 200 OK\r\nX-Content-Length: 2\r\n\r\n{}'))).toBe(
      'unreadable',
    );
    expect(parseAnswer(Buffer.alloc(17_000, 'a'))).toBe('unreadable');
  });

  it('tells whether the connection stays open', () => {
    const keeps = (head: string) => {
      const parsed = parseAnswer(bytes(`${head}\r\ncontent-length: 0\r\n\r\n`));
      return typeof parsed === 'object' && parsed.keepAlive;
    };
    expect(keeps('HTTP/1.1 200 OK')).toBe(true);
    expect(keeps('HTTP/1.1 200 OK\r\nConnection: close')).toBe(false);
    expect(keeps('HTTP/1.0 200 OK')).toBe(false);
    expect(keeps('HTTP/1.0 200 OK\r\nConnection: keep-alive')).toBe(true);
  });

  it('splits off bytes past the answer', () => {
    const parsed = parseAnswer(bytes('HTTP/1.0 503 Busy\r\ncontent-length:  2 \r\n\r\n{}HTTP'));
    expect(parsed).toMatchObject({ answer: { status: 503 }, keepAlive: false });
    if (typeof parsed !== 'object') throw new Error('no answer');
    expect(parsed.answer.body.toString()).toBe('{}');
    expect(parsed.rest?.toString()).toBe('HTTP');
  });
});
