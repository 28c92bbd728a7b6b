import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { answerClientError, clientErrorAnswer } from './client-error.ts';
import { createIngestServer } from './ingest-server.ts';

/** Writes `request` to a fresh connection; resolves with the whole answer once it closes. */
async function rawAnswer(port: number, request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('error', () => undefined);
  socket.write(request);
  await once(socket, 'close');
  return text;
}

function parseAnswer(text: string): { status: number; type: string | undefined; body: unknown } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
    type: /^content-type: (.+)$/im.exec(head)?.[1],
    body: JSON.parse(body) as unknown,
  };
}

describe('what the ingest server answers a request Node refuses itself', () => {
  it('answers with its JSON error body, the status Node would give', async () => {
    const refusals: unknown[] = [];
    const server = createIngestServer((_req, res) => res.end('app'), {
      maxConnections: 100,
      onEarlyRefusal: (refusal) => refusals.push(refusal),
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const huge = parseAnswer(
        await rawAnswer(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      expect(huge).toEqual({
        status: 431,
        type: 'application/json',
        body: { error: { code: 'HEADERS_TOO_LARGE', message: expect.any(String) as unknown } },
      });

      const garbage = parseAnswer(await rawAnswer(port, 'NOT HTTP AT ALL secret-value\r\n\r\n'));
      expect(garbage.status).toBe(400);
      // A 400 names the field, as the contract has every 400 do: here none (the request itself).
      expect(garbage.body).toEqual({
        error: { code: 'BAD_HTTP_REQUEST', message: expect.any(String) as unknown, path: '' },
      });
      expect(JSON.stringify(garbage.body)).not.toContain('secret-value');

      const expectation = parseAnswer(
        await rawAnswer(port, 'POST / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n'),
      );
      expect(expectation.status).toBe(417);
      expect(expectation.type).toBe('application/json');
      expect(expectation.body).toMatchObject({ error: { code: 'EXPECTATION_FAILED' } });
      // Each reported, for the metrics and the log that the app's own answers go to.
      // Each reported with the client's address, which the warning names.
      expect(refusals).toEqual([
        { status: 431, code: 'HEADERS_TOO_LARGE', client: '127.0.0.1' },
        { status: 400, code: 'BAD_HTTP_REQUEST', client: '127.0.0.1' },
        { status: 417, code: 'EXPECTATION_FAILED', client: '127.0.0.1' },
      ]);
    } finally {
      server.close();
    }
  });

  it('gives a request time-out 408, as Node does', () => {
    expect(clientErrorAnswer('ERR_HTTP_REQUEST_TIMEOUT')).toMatchObject({
      status: 408,
      code: 'REQUEST_TIMEOUT',
    });
    expect(clientErrorAnswer('HPE_CHUNK_EXTENSIONS_OVERFLOW').status).toBe(413);
    expect(clientErrorAnswer(undefined).status).toBe(400);
  });

  it('closes the connection both ways after its answer, though the client keeps sending', async () => {
    // Half-open, as the HTTP server's sockets are: `end` alone would shut only the sending side.
    const accepted: Socket[] = [];
    const server = createServer({ allowHalfOpen: true }, (socket) => accepted.push(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const client = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    client.on('error', () => undefined);
    let answer = '';
    client.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const trickle = setInterval(() => {
      if (!client.destroyed) client.write(' ', () => undefined);
    }, 20);
    try {
      await once(client, 'connect');
      while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const socket = accepted[0]!;
      const closed = once(socket, 'close');
      const timeout = Object.assign(new Error('request timed out'), {
        code: 'ERR_HTTP_REQUEST_TIMEOUT',
      });
      expect(answerClientError(timeout, socket)).toEqual({
        status: 408,
        code: 'REQUEST_TIMEOUT',
        client: '127.0.0.1',
      });
      // Without the close the trickle would hold it open for good: this wait would time out.
      await closed;
      expect(socket.destroyed).toBe(true);
      // Not `once`, which would reject on the client's EPIPE (a write after the server closed).
      if (!client.destroyed) await new Promise((resolve) => client.on('close', resolve));
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('"REQUEST_TIMEOUT"');
    } finally {
      clearInterval(trickle);
      client.destroy();
      server.close();
    }
  });

  it('writes no answer of its own ahead of a pipelined request still being answered', async () => {
    // The first request is in the app (a store under way) when a malformed second one arrives on
    // the same connection: a 400 written then would be read as the first request's answer.
    let answerFirst: () => void = () => undefined;
    const refusals: unknown[] = [];
    const server = createIngestServer(
      (_req, res) => {
        answerFirst = () => res.end('stored');
      },
      { maxConnections: 100, onEarlyRefusal: (refusal) => refusals.push(refusal) },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const answer = rawAnswer(
        port,
        'POST /v1/commits HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGARBAGE\r\n\r\n',
      );
      const text = await answer;
      // Closed with nothing written: no answer the client could take for the first request's.
      expect(text).toBe('');
      expect(refusals).toEqual([]);
      answerFirst();
    } finally {
      server.close();
    }
  });
});
