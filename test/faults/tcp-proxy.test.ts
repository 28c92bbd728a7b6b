// The fault proxy itself, against an echo server: bytes pass, latency delays them, a blackhole
// holds them until it is lifted, a reset cuts every connection.
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { waitFor } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

describe('the fault proxy', () => {
  let echo: Server;
  let proxy: TcpProxy;

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    const port = (echo.address() as { port: number }).port;
    proxy = await startTcpProxy({ target: { host: '127.0.0.1', port } });
  });

  afterAll(async () => {
    await proxy.close();
    echo.close();
  });

  async function client(): Promise<Socket> {
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    return socket;
  }

  const echoOf = (socket: Socket, text: string): Promise<string> => {
    socket.write(text);
    return once(socket, 'data').then(([data]) => (data as Buffer).toString());
  };

  it('passes bytes both ways, and still does under latency', async () => {
    const socket = await client();
    expect(await echoOf(socket, 'hello')).toBe('hello');
    // Seen held in the proxy, nothing come back meanwhile, then come through: no clock read.
    // A second each way, room enough for a slow poll to find the bytes there.
    proxy.setFault({ kind: 'latency', ms: 1000 });
    let answer = '';
    socket.on('data', (data: Buffer) => (answer += data.toString()));
    socket.write('slow');
    await waitFor(() => proxy.stats().heldBytes > 0, { description: 'the bytes held' });
    expect(answer).toBe('');
    await waitFor(() => answer === 'slow', { description: 'the echo through the latency' });
    proxy.setFault({ kind: 'none' });
    socket.destroy();
  });

  it('holds every byte in a blackhole and lets them through when it is lifted', async () => {
    const socket = await client();
    proxy.setFault({ kind: 'blackhole' });
    let answer = '';
    socket.on('data', (data: Buffer) => (answer += data.toString()));
    socket.write('held');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answer).toBe('');
    proxy.setFault({ kind: 'none' });
    await waitFor(() => answer === 'held', { description: 'the held bytes after the blackhole' });
    socket.destroy();
  });

  it('resets open connections and refuses new ones while resetting', async () => {
    const socket = await client();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    proxy.setFault({ kind: 'reset' });
    await closed;
    const refused = connect({ host: '127.0.0.1', port: proxy.port });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNRESET');
    proxy.setFault({ kind: 'none' });
    const again = await client();
    expect(await echoOf(again, 'back')).toBe('back');
    again.destroy();
    expect(proxy.stats().resets).toBeGreaterThanOrEqual(2);
  });
});
