import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  createIngestServer,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  SOCKET_IDLE_TIMEOUT_MS,
  TIMEOUT_CHECK_EVERY_MS,
} from './ingest-server.ts';

describe('the ingest server', () => {
  it('checks its slow-client time-outs every second, not every 30 s (Node’s default)', () => {
    const server = createIngestServer((_req, res) => res.end(), { maxConnections: 1000 });
    // Set from createServer's option; @types/node does not declare the property.
    const { connectionsCheckingInterval } = server as unknown as {
      connectionsCheckingInterval: number;
    };
    expect(connectionsCheckingInterval).toBe(TIMEOUT_CHECK_EVERY_MS);
    expect(TIMEOUT_CHECK_EVERY_MS).toBeLessThan(HEADERS_TIMEOUT_MS);
    expect(server.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
    expect(server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
  });

  // Its settings only: a real idle socket would hold the test for two minutes. Node closes a
  // socket idle past `server.timeout`, also one whose answers are never read.
  it('sets an idle time-out on every socket, longer than the keep-alive time-out', () => {
    const server = createIngestServer((_req, res) => res.end(), { maxConnections: 1000 });
    expect(server.timeout).toBe(SOCKET_IDLE_TIMEOUT_MS);
    expect(SOCKET_IDLE_TIMEOUT_MS).toBeGreaterThan(KEEP_ALIVE_TIMEOUT_MS);
  });

  it('closes a connection past INGEST_MAX_CONNECTIONS as it accepts it, and reports each', async () => {
    let drops = 0;
    const server = createIngestServer((_req, res) => res.end('ok'), {
      maxConnections: 2,
      onDrop: () => drops++,
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
      expect(drops).toBe(1);
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
      expect(drops).toBe(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});
