import { captureLogLines, waitFor } from '@commitlog/testkit';
import { CommitlogError } from '@commitlog/core';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { createCounter, createMetricsRegistry } from './metrics.ts';
import type { Readiness } from './ops-handlers.ts';
import type { ConnectionLimits } from './guarded-server.ts';
import { OPS_CONNECTION_LIMITS, startOpsServer, type OpsServer } from './ops-server.ts';

const servers: OpsServer[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(readiness: () => Promise<Readiness>, limits: Partial<ConnectionLimits> = {}) {
  const sink = captureLogLines();
  const registry = createMetricsRegistry('worker');
  createCounter(registry, { name: 'commitlog_delivered_total', help: 'Delivered.' }).inc(3);
  const server = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    settings: 'WORKER_HOST, WORKER_PORT',
    registry,
    readiness,
    logger: createLogger({ service: 'worker', destination: sink }),
    limits,
  });
  servers.push(server);
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
  return { server, sink, url };
}

/** A connection to `port` that has sent nothing yet. */
async function openSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** What the server sends back to `request` on `socket` until it closes it ('' for nothing). */
function answerTo(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
    socket.write(request);
  });
}

const ready = () => Promise.resolve({ ready: true, checks: {} });

describe('startOpsServer', () => {
  it('binds a free port when asked for port 0 and serves /healthz', async () => {
    const { server, url } = await start(() => Promise.resolve({ ready: true, checks: {} }));
    expect(server.port).toBeGreaterThan(0);
    const response = await fetch(url('/healthz'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('serves /readyz as 200 or 503 and logs each change of readiness once', async () => {
    let state: Readiness = { ready: true, checks: { redis: { ok: true } } };
    const { sink, url } = await start(() => Promise.resolve(state));

    const ready = await fetch(url('/readyz'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { redis: { ok: true } } });

    state = { ready: false, checks: { redis: { ok: false, detail: 'ECONNREFUSED' } } };
    for (let i = 0; i < 2; i++) {
      const notReady = await fetch(url('/readyz?probe=kubelet'));
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual(state);
    }
    expect(sink.lines.map((l) => l.msg)).toEqual(['ops server listening', 'ready', 'not ready']);
  });

  it('serves /metrics in the Prometheus text format, for GET and HEAD', async () => {
    const { url } = await start(() => Promise.resolve({ ready: true, checks: {} }));
    const response = await fetch(url('/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await response.text()).toContain('commitlog_delivered_total{service="worker"} 3');
    const head = await fetch(url('/metrics'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers 404 JSON for anything else, and 405 for another method', async () => {
    const { url } = await start(() => Promise.resolve({ ready: true, checks: {} }));
    const missing = await fetch(url('/v1/commits'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'no such endpoint: /v1/commits' },
    });
    const post = await fetch(url('/metrics'), { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe(
      'METHOD_NOT_ALLOWED',
    );
  });

  it('refuses a port that is taken, with a CommitlogError', async () => {
    const { server } = await start(() => Promise.resolve({ ready: true, checks: {} }));
    const taken = startOpsServer({
      host: '127.0.0.1',
      port: server.port,
      settings: 'WORKER_HOST, WORKER_PORT',
      registry: createMetricsRegistry('worker'),
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
      logger: createLogger({ service: 'worker', level: 'silent' }),
    });
    await expect(taken).rejects.toBeInstanceOf(CommitlogError);
    await expect(taken).rejects.toMatchObject({
      code: 'LISTEN_FAILED',
      message: `cannot listen on 127.0.0.1:${server.port} (WORKER_HOST, WORKER_PORT): the port is taken`,
    });
  });

  it('closes a connection stuck in a request, after its grace period', async () => {
    const sink = captureLogLines();
    const server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      settings: 'WORKER_HOST, WORKER_PORT',
      registry: createMetricsRegistry('worker'),
      readiness: () => Promise.resolve({ ready: true, checks: {} }),
      logger: createLogger({ service: 'worker', destination: sink }),
      closeGraceMs: 100,
    });
    // Half a request's headers, never the rest: without the grace period the close waited for
    // it for good.
    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const ended = once(socket, 'close');
    await server.close();
    await ended;
    expect(sink.lines.map((l) => l.msg)).toContain(
      'requests still open after the grace period; closing their connections',
    );
  });

  it('closes connections past its limit as it accepts them; probes are answered once idle ones go', async () => {
    const { server, sink, url } = await start(ready, { maxConnections: 3 });
    const idle = [];
    for (let i = 0; i < 3; i++) idle.push(await openSocket(server.port));
    // Accepted after the three idle ones, so one too many: closed before it is read.
    const over = await openSocket(server.port);
    expect(
      await answerTo(over, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ).toBe('');
    expect(sink.lines.map((l) => l.msg)).toContain(
      'an ops connection was closed as it was accepted: the most the ops server keeps are open',
    );
    for (const socket of idle) socket.destroy();
    // The server counts them closed once each close reaches it.
    const healthz = await waitFor(
      () => fetch(url('/healthz')).then((response) => response.ok && response),
      { description: '/healthz answered once the idle connections are closed' },
    );
    expect(await healthz.json()).toEqual({ status: 'ok' });
  });

  it('closes a connection that sends nothing after its idle time-out', async () => {
    // The header and request time-outs far off: Node's header time-out also closes a connection
    // that sent nothing (answering 408), which would pass this test without the idle one.
    const { server } = await start(ready, {
      socketIdleTimeoutMs: 100,
      keepAliveTimeoutMs: 50,
      headersTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    });
    const socket = await openSocket(server.port);
    let closed = false;
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('close', () => (closed = true));
    await waitFor(() => closed, { description: 'the idle connection closed by the server' });
    // Closed without a word: the idle time-out, not a 408.
    expect(received).toBe('');
  });

  it('answers 408 to a client that does not finish its headers in time', async () => {
    const { server } = await start(ready, { headersTimeoutMs: 100, checkEveryMs: 20 });
    const socket = await openSocket(server.port);
    expect(await answerTo(socket, 'GET /metrics HTTP/1.1\r\nHost: x\r\n')).toMatch(
      /^HTTP\/1\.1 408/,
    );
  });

  it('keeps its own time-outs consistent: checked well within them, idle past keep-alive', () => {
    const limits = OPS_CONNECTION_LIMITS;
    expect(limits.checkEveryMs).toBeLessThan(limits.headersTimeoutMs);
    expect(limits.headersTimeoutMs).toBeLessThanOrEqual(limits.requestTimeoutMs);
    expect(limits.socketIdleTimeoutMs).toBeGreaterThan(limits.keepAliveTimeoutMs);
  });

  it('closes, and closing twice is harmless', async () => {
    const { server, url } = await start(() => Promise.resolve({ ready: true, checks: {} }));
    await fetch(url('/healthz'));
    await server.close();
    await server.close();
    await expect(fetch(url('/healthz'))).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    });
  });
});
