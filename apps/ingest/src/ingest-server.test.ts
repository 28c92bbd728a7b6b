import { CLIENT_TIMEOUTS } from '@commitlog/runtime';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createIngestServer } from './ingest-server.ts';
import { makeTestCa } from './test-tls.ts';

describe('the ingest server', () => {
  it('checks its slow-client time-outs every second, not every 30 s (Node’s default)', () => {
    const server = createIngestServer((_req, res) => res.end(), { maxConnections: 1000 });
    // Set from createServer's option; @types/node does not declare the property.
    const { connectionsCheckingInterval } = server as unknown as {
      connectionsCheckingInterval: number;
    };
    expect(connectionsCheckingInterval).toBe(1000);
    expect(CLIENT_TIMEOUTS.checkEveryMs).toBe(1000);
    expect(server.headersTimeout).toBe(CLIENT_TIMEOUTS.headersTimeoutMs);
    expect(server.requestTimeout).toBe(CLIENT_TIMEOUTS.requestTimeoutMs);
  });

  // Its settings only: a real idle socket would hold the test for two minutes. Node closes a
  // socket idle past `server.timeout`, also one whose answers are never read.
  it('sets an idle time-out on every socket, longer than the keep-alive time-out', () => {
    const server = createIngestServer((_req, res) => res.end(), { maxConnections: 1000 });
    expect(server.timeout).toBe(CLIENT_TIMEOUTS.socketIdleTimeoutMs);
    expect(server.keepAliveTimeout).toBe(CLIENT_TIMEOUTS.keepAliveTimeoutMs);
    expect(CLIENT_TIMEOUTS.socketIdleTimeoutMs).toBeGreaterThan(CLIENT_TIMEOUTS.keepAliveTimeoutMs);
  });

  it('closes a connection past INGEST_MAX_CONNECTIONS as it accepts it, and reports each', async () => {
    const drops: (string | undefined)[] = [];
    const server = createIngestServer((_req, res) => res.end('ok'), {
      maxConnections: 2,
      onDrop: ({ remoteAddress }) => drops.push(remoteAddress),
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const sockets: Socket[] = [];
    const open = async (): Promise<Socket> => {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      await once(socket, 'connect');
      return socket;
    };
    /** What the server answers a GET on the socket; '' when it closes the socket first. */
    const answer = (socket: Socket): Promise<string> =>
      new Promise((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('\r\n\r\nok')) resolve(text);
        });
        socket.on('close', () => resolve(text));
        socket.on('error', () => undefined);
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      });
    try {
      const [first, second] = [await open(), await open()];
      expect(await answer(first)).toMatch(/^HTTP\/1\.1 200/);
      expect(await answer(second)).toMatch(/^HTTP\/1\.1 200/);
      // Both kept alive: a third is one too many.
      expect(await answer(await open())).toBe('');
      // Named by its address, which the warning gives.
      expect(drops).toEqual(['127.0.0.1']);
      // Once one closes, a new connection is served again.
      first.destroy();
      await once(first, 'close');
      // The server counts it closed once the close reaches it.
      const count = (): Promise<number> =>
        new Promise((resolve, reject) =>
          server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
        );
      for (let tries = 0; tries < 200 && (await count()) >= 2; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await answer(await open())).toMatch(/^HTTP\/1\.1 200/);
      expect(drops).toHaveLength(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('hands an HTTP/1.1 request without Host to the app, over HTTP and over TLS', async () => {
    // Node's own answer to it is an empty 400 the app never sees (so never logs nor counts).
    const dir = await mkdtemp(join(tmpdir(), 'ingest-host-'));
    const ca = await makeTestCa(dir);
    const { cert, key } = await ca.issue('server');
    const app = (_req: unknown, res: { end: (text: string) => void }) => res.end('app');
    const plain = createIngestServer(app, { maxConnections: 10 });
    const tls = createIngestServer(app, { maxConnections: 10, tls: { cert, key } });
    try {
      const answers: string[] = [];
      for (const server of [plain, tls]) {
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const { port } = server.address() as AddressInfo;
        const socket =
          server === tls
            ? connectTls({ port, host: '127.0.0.1', ca: ca.caPem })
            : connect(port, '127.0.0.1');
        await once(socket, server === tls ? 'secureConnect' : 'connect');
        socket.write('GET / HTTP/1.1\r\n\r\n');
        // The app's answer, or Node's own, after which Node closes the connection.
        const text = await new Promise<string>((resolve) => {
          let read = '';
          socket.on('data', (chunk: Buffer) => {
            read += chunk.toString();
            if (read.endsWith('app')) resolve(read);
          });
          socket.on('close', () => resolve(read));
        });
        answers.push(text.split('\r\n')[0] ?? '');
        socket.destroy();
      }
      expect(answers).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    } finally {
      plain.close();
      tls.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('closes a TLS connection that sends nothing at its handshake time-out, without an HTTP answer or an early refusal', async () => {
    // Node re-emits every failed handshake as a 'clientError': answered, it was counted and
    // logged as a 400 early refusal, and its socket held a second longer.
    const dir = await mkdtemp(join(tmpdir(), 'ingest-handshake-'));
    const ca = await makeTestCa(dir);
    const { cert, key } = await ca.issue('server');
    const handshakes: string[] = [];
    const refusals: unknown[] = [];
    const server = createIngestServer((_req, res) => res.end('app'), {
      maxConnections: 10,
      tls: { cert, key },
      // The handshake's time-out is the headers' one; a short one, not to wait 10 s.
      timeouts: { headersTimeoutMs: 50 },
      onHandshakeFailure: ({ reason }) => handshakes.push(reason),
      onEarlyRefusal: (refusal) => refusals.push(refusal),
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    try {
      let read = '';
      socket.on('data', (chunk: Buffer) => (read += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      await once(socket, 'close');
      expect(read).toBe('');
      expect(handshakes).toEqual(['timeout']);
      expect(refusals).toEqual([]);
    } finally {
      socket.destroy();
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
