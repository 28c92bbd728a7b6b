import { makeTestCertificates, type TestCertificates } from '@commitlog/testkit';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGuardedServer, type ConnectionLimits } from './guarded-server.ts';
import {
  createGuardedTlsServer,
  MIN_TLS_VERSION,
  type GuardedTlsServer,
  type TlsCredentials,
} from './guarded-tls-server.ts';
import { drainServer, listenOn } from './http-server.ts';
import { createLogger } from './logger.ts';

const LIMITS: ConnectionLimits = {
  maxConnections: 10,
  headersTimeoutMs: 600_000,
  requestTimeoutMs: 600_000,
  checkEveryMs: 1000,
  keepAliveTimeoutMs: 5000,
  socketIdleTimeoutMs: 600_000,
};

const dirs: string[] = [];
/** Two CAs, each with a server certificate for 127.0.0.1: one to start with, one to rotate to. */
let first: TestCertificates;
let second: TestCertificates;
beforeAll(async () => {
  const make = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'guarded-tls-'));
    dirs.push(dir);
    return makeTestCertificates(dir);
  };
  [first, second] = await Promise.all([make(), make()]);
});
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const servers: GuardedTlsServer[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function credentials(certs: TestCertificates): Promise<TlsCredentials> {
  const [cert, key] = await Promise.all([
    readFile(certs.certFile, 'utf8'),
    readFile(certs.keyFile, 'utf8'),
  ]);
  return { cert, key };
}

async function start(limits: ConnectionLimits = LIMITS): Promise<{
  server: GuardedTlsServer;
  port: number;
}> {
  const server = createGuardedTlsServer(
    (_req, res) => res.end('ok'),
    limits,
    await credentials(first),
  );
  servers.push(server);
  await listenOn(server, '127.0.0.1', 0, 'TEST_PORT');
  return { server, port: (server.address() as AddressInfo).port };
}

/** A TCP connection that never starts its handshake. */
async function silentConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** GETs / over a new TLS connection trusting both test CAs; the serial of the certificate served. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, ca: [first.caPem, second.caPem], agent: false }, (res) => {
      res.resume();
      resolve((res.socket as TLSSocket).getPeerCertificate().serialNumber);
    })
      .on('error', reject)
      .end();
  });
}

describe('the guarded TLS server', () => {
  it('holds its connections to the same limits as the HTTP one, with TLS 1.2 or later', async () => {
    const { server } = await start();
    const plain = createGuardedServer(() => undefined, LIMITS);
    const limitsOf = (s: typeof plain) => ({
      maxConnections: s.maxConnections,
      headersTimeout: s.headersTimeout,
      requestTimeout: s.requestTimeout,
      keepAliveTimeout: s.keepAliveTimeout,
      timeout: s.timeout,
      // Set from the constructor's option; @types/node does not declare the property.
      checkEvery: (s as unknown as { connectionsCheckingInterval: number })
        .connectionsCheckingInterval,
    });
    expect(limitsOf(server)).toEqual(limitsOf(plain));
    expect(MIN_TLS_VERSION).toBe('TLSv1.2');
    expect((server as unknown as { minVersion?: string }).minVersion).toBe(MIN_TLS_VERSION);
  });

  it('closes a connection that does not finish its handshake within the headers’ time-out', async () => {
    // Node's own handshake time-out is 120 s: this test would time out under it.
    const { port } = await start({ ...LIMITS, headersTimeoutMs: 200 });
    const socket = await silentConnection(port);
    await once(socket, 'close');
  });

  it('does not let a connection still in its handshake hold up a drain', async () => {
    // Neither time-out ends it here: only the drain's closing of idle connections does.
    const { server, port } = await start();
    const socket = await silentConnection(port);
    const closed = once(socket, 'close');
    await drainServer(server, 600_000, createLogger({ service: 'test', level: 'silent' }));
    await closed;
  });

  it('lets a request under way on a TLS connection finish during a drain', async () => {
    let answer: (() => void) | undefined;
    const server = createGuardedTlsServer(
      (_req, res) => {
        answer = () => res.end('done');
      },
      LIMITS,
      await credentials(first),
    );
    servers.push(server);
    await listenOn(server, '127.0.0.1', 0, 'TEST_PORT');
    const { port } = server.address() as AddressInfo;
    const response = new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port, ca: first.caPem, agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    await vi.waitFor(() => expect(answer).toBeTypeOf('function'));
    const drained = drainServer(
      server,
      600_000,
      createLogger({ service: 'test', level: 'silent' }),
    );
    answer?.();
    expect(await response).toBe('done');
    await drained;
  });

  it('serves new credentials to new handshakes, still with TLS 1.2 or later', async () => {
    const { server, port } = await start();
    const serialOf = async (certs: TestCertificates) =>
      new X509Certificate((await credentials(certs)).cert).serialNumber;
    expect(await servedSerial(port)).toBe(await serialOf(first));
    server.useCredentials(await credentials(second));
    expect(await servedSerial(port)).toBe(await serialOf(second));
    // `setSecureContext` forgets the minimum version unless given again (Node's default then,
    // which `--tls-min-v1.0` lowers).
    expect((server as unknown as { minVersion?: string }).minVersion).toBe(MIN_TLS_VERSION);
  });
});
