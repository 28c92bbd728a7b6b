import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.ts';
import { postSigned } from './ingest-client.ts';
import { IngestUnreachableError } from './ingest-unreachable-error.ts';

const body = new TextEncoder().encode('{}');
const secret = 'a-signing-secret-of-at-least-32-characters';

/** A port nothing listens on: one the kernel gave a server that is closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('postSigned', () => {
  it('names a network failure, which may pass with time', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1/commits`;
    const failure = postSigned({ url, secret, body });
    await expect(failure).rejects.toBeInstanceOf(IngestUnreachableError);
    await expect(failure).rejects.toThrow(`cannot reach ${url}: ECONNREFUSED`);
  });

  it('does not call a request fetch cannot even build unreachable (no retries, no URL repeated)', async () => {
    const failure = postSigned({ url: 'http://ops:s3cret@127.0.0.1:1/v1/commits', secret, body });
    await expect(failure).rejects.toBeInstanceOf(CliError);
    await expect(failure).rejects.not.toBeInstanceOf(IngestUnreachableError);
    await expect(failure).rejects.toThrow('INGEST_URL: fetch cannot send a request to it');
    await expect(failure).rejects.not.toThrow(/s3cret|127\.0\.0\.1/);
  });

  it('calls an answer cut off part-way unreachable, which may pass with time', async () => {
    // A status line and half of a declared body, then the connection reset: the ingest killed
    // while it answered a batch.
    const server = createServer((socket) => {
      socket.once('data', () => {
        socket.write(
          'HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"results":[',
          () => socket.resetAndDestroy(),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const url = `http://127.0.0.1:${port}/v1/commits/batch`;
    try {
      const failure = postSigned({ url, secret, body });
      await expect(failure).rejects.toBeInstanceOf(IngestUnreachableError);
      await expect(failure).rejects.toThrow(`cannot reach ${url}: its answer (202) was cut off`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
