import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from '@commitlog/queue';
import { freePort } from './free-port.ts';
import { redisCliOn } from './redis-cluster.ts';
import { makeTestCertificates, type TestCertificates } from './test-certificates.ts';
import { waitFor } from './wait-for.ts';

export interface PrivateRedisOptions {
  /** AOF fsync policy. Default `always` (no acknowledged write is lost on a crash). */
  appendfsync?: 'always' | 'everysec';
  /** `maxmemory` in bytes; 0 means no limit. Default 0. */
  maxmemoryBytes?: number;
  /** Default `noeviction`; another one makes a Redis that commitlog must refuse. */
  maxmemoryPolicy?: string;
  /**
   * TLS only (no plain port), with a certificate signed by a CA of the test's own (made with
   * openssl into the server's directory); `url` is then `rediss://`. Default false.
   */
  tls?: boolean;
  /** With `tls`: the server asks every client for a certificate its CA signed (mutual TLS). */
  tlsClientAuth?: boolean;
  /** The port of a (plain) private Redis on 127.0.0.1 whose replica this one is. */
  replicaOf?: number;
}

/**
 * A `redis-server` of the test's own, on a free port, with AOF on and `noeviction`, which a test
 * may stop, kill and restart (the AOF survives restarts; the directory is removed by `cleanup`).
 */
export interface PrivateRedis {
  url: string;
  /** With `tls`: the CA, the server's and a client's certificate (see `makeTestCertificates`). */
  certificates?: TestCertificates;
  port: number;
  dir: string;
  /** The running server's pid, or undefined while it is stopped. */
  pid(): number | undefined;
  /** Starts the server again on the same port and directory and waits until it answers. */
  start(): Promise<void>;
  /** Sends SIGTERM (Redis flushes the AOF and exits) and waits for the exit. */
  stop(): Promise<void>;
  /** Sends SIGKILL: a crash, nothing flushed beyond what the fsync policy already wrote. */
  kill(): Promise<void>;
  cleanup(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'commitlog-redis-'));
  const certificates = options.tls ? await makeTestCertificates(dir) : undefined;
  const url = `${certificates ? 'rediss' : 'redis'}://127.0.0.1:${port}`;
  const listen = certificates
    ? [
        ...['--port', '0', '--tls-port', String(port)],
        ...['--tls-auth-clients', options.tlsClientAuth ? 'yes' : 'no'],
        ...['--tls-cert-file', certificates.certFile, '--tls-key-file', certificates.keyFile],
        ...['--tls-ca-cert-file', certificates.caFile],
      ]
    : ['--port', String(port)];
  const pingTls = certificates
    ? {
        tlsCa: certificates.caPem,
        ...(options.tlsClientAuth ? { tlsClient: certificates.client } : {}),
      }
    : {};
  const args = [
    ...listen,
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    options.appendfsync ?? 'always',
    '--maxmemory',
    String(options.maxmemoryBytes ?? 0),
    '--maxmemory-policy',
    options.maxmemoryPolicy ?? 'noeviction',
    '--daemonize',
    'no',
    ...(options.replicaOf === undefined
      ? []
      : ['--replicaof', '127.0.0.1', String(options.replicaOf)]),
  ];
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    if (child) return;
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    started.once('exit', () => {
      if (child === started) child = undefined;
    });
    child = started;
    try {
      await waitFor(() => pingRedis(url, 200, pingTls), {
        timeoutMs: 10_000,
        description: `private redis-server on port ${port} to answer PING`,
      });
    } catch (error) {
      // Not left running for later tests to trip over.
      started.kill('SIGKILL');
      if (child === started) child = undefined;
      throw error;
    }
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    const running = child;
    if (!running) return;
    running.kill(name);
    await exited(running);
    child = undefined;
  }

  await start();
  return {
    url,
    ...(certificates ? { certificates } : {}),
    port,
    dir,
    pid: () => child?.pid,
    start,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async cleanup() {
      await signal('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A private primary and its replica (`replicaOf`), resolved once the replica's link to the
 * primary is up, so that a write is replicated from the start.
 */
export async function startReplicatedRedis(): Promise<{
  primary: PrivateRedis;
  replica: PrivateRedis;
}> {
  const primary = await startPrivateRedis();
  const replica = await startPrivateRedis({ replicaOf: primary.port }).catch(async (error) => {
    await primary.cleanup();
    throw error;
  });
  await waitFor(
    () => redisCliOn(replica.port, 'info', 'replication').includes('master_link_status:up'),
    { timeoutMs: 20_000, description: 'the replica to sync' },
  ).catch(async (error: unknown) => {
    await replica.cleanup();
    await primary.cleanup();
    throw error;
  });
  return { primary, replica };
}
