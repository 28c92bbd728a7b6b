import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { countSocketWrites } from '../test/count-socket-writes.ts';
import { corkEachTurn } from './coalesced-writes.ts';

/** A loopback server that keeps what it receives, and a client socket connected to it. */
async function socketPair(): Promise<{ client: Socket; received: () => string; server: Server }> {
  let data = '';
  const server = createServer((socket) => socket.on('data', (chunk) => (data += String(chunk))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => client.once('connect', resolve));
  return { client, received: () => data, server };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

let close: (() => void) | undefined;
afterEach(() => close?.());

describe('corkEachTurn', () => {
  it('sends the writes of one turn in one write, in order, and each later turn on its own', async () => {
    const { client, received, server } = await socketPair();
    close = () => {
      client.destroy();
      server.close();
    };
    const writes = countSocketWrites(client);
    corkEachTurn(client);
    for (let i = 0; i < 10; i++) client.write(`a${i};`);
    // A promise continuation in the same turn still joins the write.
    await Promise.resolve();
    client.write('tail;');
    await nextTurn();
    expect(writes()).toBe(1);
    client.write('b;');
    await nextTurn();
    client.write('c;');
    await nextTurn();
    expect(writes()).toBe(3);
    const expected = `${Array.from({ length: 10 }, (_, i) => `a${i};`).join('')}tail;b;c;`;
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 5000;
      const check = () =>
        received() === expected
          ? resolve()
          : Date.now() > deadline
            ? reject(new Error(`received ${received()}`))
            : setTimeout(check, 5);
      check();
    });
  });

  it('leaves a socket alone that is already set up', async () => {
    const { client, server } = await socketPair();
    close = () => {
      client.destroy();
      server.close();
    };
    const writes = countSocketWrites(client);
    corkEachTurn(client);
    corkEachTurn(client);
    client.write('x');
    client.write('y');
    await nextTurn();
    expect(writes()).toBe(1);
  });
});
