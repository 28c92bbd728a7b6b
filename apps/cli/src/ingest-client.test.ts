import { makeTestCertificates, type TestCertificates } from '@commitlog/testkit';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('postSigned to an https INGEST_URL', () => {
  let dir: string;
  let certs: TestCertificates;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ingest-client-'));
    certs = await makeTestCertificates(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function listening<S extends Server>(server: S): Promise<{ port: number; close(): void }> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return { port, close: () => server.close() };
  }

  it('refuses an ingest whose certificate it does not trust, once, saying where its CA goes', async () => {
    // This process was not started with the test CA in NODE_EXTRA_CA_CERTS: it trusts it not.
    let requests = 0;
    const ingest = await listening(
      createHttpsServer(
        { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) },
        (_req, res) => {
          requests++;
          res.end('{}');
        },
      ),
    );
    const url = `https://127.0.0.1:${ingest.port}/v1/commits`;
    try {
      const failure = postSigned({ url, secret, body });
      // Not unreachable: requeue would try again, and meet the same certificate.
      await expect(failure).rejects.not.toBeInstanceOf(IngestUnreachableError);
      await expect(failure).rejects.toMatchObject({
        code: 'INGEST_TLS_REFUSED',
        message: `cannot reach ${url}: UNABLE_TO_VERIFY_LEAF_SIGNATURE: the ingest's certificate is not trusted here: give the CA that signed it (a PEM file) in NODE_EXTRA_CA_CERTS`,
      });
      expect(requests).toBe(0);
    } finally {
      ingest.close();
    }
  });

  it('says so when the ingest does not speak TLS on that port', async () => {
    const ingest = await listening(createHttpServer((_req, res) => res.end('{}')));
    const url = `https://127.0.0.1:${ingest.port}/v1/commits`;
    try {
      await expect(postSigned({ url, secret, body })).rejects.toMatchObject({
        code: 'INGEST_TLS_REFUSED',
        message: `cannot reach ${url}: ERR_SSL_WRONG_VERSION_NUMBER: the ingest does not speak TLS on that port: use http:// unless it has INGEST_TLS_CERT_FILE`,
      });
    } finally {
      ingest.close();
    }
  });
});
