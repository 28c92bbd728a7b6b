import { createLogger, createMetricsRegistry, type Readiness } from '@commitlog/runtime';
import { QueueUnavailableError, type CommitJobData, type EnqueueResult } from '@commitlog/queue';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@commitlog/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createBodyBudget, type BodyBudget } from './body-budget.ts';
import { createCommitHandlers, type CommitHandlers } from './commit-handlers.ts';
import { createIngestApp } from './ingest-app.ts';
import { createIngestMetrics, WATCHED_REJECTION_CODES } from './ingest-metrics.ts';
import { createIngestServer } from './ingest-server.ts';
import { httpRequest, post, postExpectingContinue, rawConnection } from './test-http.ts';
import { DRAIN_REFUSED_BODY_MAX_BYTES } from './write-answer.ts';
import {
  OTHER_SECRET,
  signedHeaders,
  TEST_SECRET,
  wireCommit,
  wireCommitOfSize,
  wireCommitWithout,
} from './test-fixtures.ts';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const VALUE_BASE64 = Buffer.from('{"amount":100}').toString('base64');

let server: Server | undefined;

afterEach(async () => {
  const running = server;
  server = undefined;
  if (running) {
    running.closeAllConnections();
    await new Promise((resolve) => running.close(resolve));
  }
});

async function startApp(
  options: {
    enqueue?: (job: CommitJobData) => Promise<EnqueueResult>;
    readiness?: Readiness;
    commits?: CommitHandlers;
    isClosing?: () => boolean;
    bodyBudget?: BodyBudget;
    maxConnections?: number;
    drainRefusedBodyMs?: number;
  } = {},
) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'ingest',
    level: 'debug',
    destination: {
      write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  const registry = createMetricsRegistry('ingest');
  const enqueue =
    options.enqueue ??
    ((job: CommitJobData) => Promise.resolve({ id: job.id, lane: job.lane, duplicate: false }));
  const app = createIngestApp({
    commits:
      options.commits ??
      createCommitHandlers({
        enqueuer: { enqueue },
        ...(options.bodyBudget ? { bodyBudget: options.bodyBudget } : {}),
        config: {
          lanes: 16,
          maxCommitBytes: 4096,
          maxBatchBytes: 64 * 1024,
          routes: [],
          secrets: [TEST_SECRET],
          replayWindowS: 300,
        },
        now: () => NOW,
      }),
    readiness: () =>
      Promise.resolve(options.readiness ?? { ready: true, checks: { redis: { ok: true } } }),
    registry,
    metrics: createIngestMetrics(registry),
    logger,
    isClosing: options.isClosing ?? (() => false),
    ...(options.drainRefusedBodyMs === undefined
      ? {}
      : { drainRefusedBodyMs: options.drainRefusedBodyMs }),
  });
  const started = createIngestServer(app, { maxConnections: options.maxConnections ?? 1000 });
  server = started;
  await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
  const { port } = started.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, lines };
}

function requestLines(lines: Record<string, unknown>[]) {
  return lines.filter((l) => l.msg === 'request');
}

describe('ingest app (express wiring)', () => {
  it('answers a signed commit 202 and logs one line without values or the signature', async () => {
    const { url, lines } = await startApp();
    const body = JSON.stringify(wireCommit());
    const headers = signedHeaders(Buffer.from(body), { nowMs: NOW });
    const response = await post(`${url}/v1/commits`, body, headers);

    expect(response.status).toBe(202);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const requestId = response.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const [line, ...others] = requestLines(lines);
    expect(others).toEqual([]);
    expect(line).toMatchObject({
      level: 'info',
      requestId,
      method: 'POST',
      route: '/v1/commits',
      status: 202,
      // The connection's peer, to find the host a refusal came from.
      client: '127.0.0.1',
      commits: 1,
      bucket: 'transactions',
      key: 'txn-123',
      ms: expect.any(Number) as unknown,
    });
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(VALUE_BASE64);
    expect(logged).not.toContain(headers['x-commitlog-signature']!.slice(-64));
    expect(logged).not.toContain(TEST_SECRET);
  });

  it('answers unknown routes 404 in JSON', async () => {
    const { url, lines } = await startApp();
    const response = await httpRequest(`${url}/v2/nothing?x=1`);
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(requestLines(lines)[0]).toMatchObject({ route: 'unknown', status: 404 });
  });

  it.each([
    ['GET', '/v1/commits', 'POST'],
    ['PUT', '/v1/commits/batch', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/metrics', 'GET, HEAD'],
  ])('answers %s %s 405 with Allow: %s', async (method, path, allow) => {
    const { url } = await startApp();
    const response = await httpRequest(`${url}${path}`, { method });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe(allow);
    expect(response.json).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  it('answers 500 INTERNAL for anything unexpected and logs the error, never the body', async () => {
    const { url, lines } = await startApp({
      enqueue: () => Promise.reject(new TypeError('a bug')),
    });
    const body = JSON.stringify(wireCommit());
    const response = await post(
      `${url}/v1/commits`,
      body,
      signedHeaders(Buffer.from(body), { nowMs: NOW }),
    );
    expect(response.status).toBe(500);
    expect(response.json).toMatchObject({ error: { code: 'INTERNAL' } });
    const logged = lines.find((l) => l.msg === 'unexpected error');
    expect(logged).toMatchObject({ level: 'error', err: { message: 'a bug' } });
    expect(JSON.stringify(lines)).not.toContain(VALUE_BASE64);
  });

  it("answers 503 with Redis's error code only, and logs Redis's text for the operator", async () => {
    // What ioredis rejects with when Redis answers an error: a ReplyError, naming the ACL user.
    const refused = Object.assign(
      new Error("NOPERM User ingest-svc has no permissions to run the 'evalsha' command"),
      { name: 'ReplyError' },
    );
    const { url, lines } = await startApp({
      enqueue: () => Promise.reject(new QueueUnavailableError(refused)),
    });
    const body = JSON.stringify(wireCommit());
    const response = await post(
      `${url}/v1/commits`,
      body,
      signedHeaders(Buffer.from(body), { nowMs: NOW }),
    );
    expect(response.status).toBe(503);
    const requestId = response.headers['x-request-id'];
    expect(response.json).toEqual({
      error: {
        code: 'QUEUE_UNAVAILABLE',
        message:
          "the queue cannot store commits now (NOPERM); the ingest's log has the detail, under this answer's X-Request-Id",
      },
    });
    expect(requestLines(lines)[0]).toMatchObject({
      level: 'warn',
      requestId,
      status: 503,
      code: 'QUEUE_UNAVAILABLE',
      reason: expect.stringContaining('NOPERM User ingest-svc has no permissions') as unknown,
    });
  });

  it('refuses a declared body over the limit at once, then drains it before it closes the connection', async () => {
    const { url } = await startApp();
    const socket = await rawConnection(url);
    // 20 MB declared: the 413 is written before the body is read, and the client has it whole
    // before it sends a byte of the body. Closing then would answer the bytes still coming with
    // a reset, which can destroy the 413 unread: the body is read and thrown away first.
    const body = Buffer.alloc(20 * 1024 * 1024, 0x20);
    socket.write(
      `POST /v1/commits/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.byteLength}\r\n\r\n`,
    );
    const answer = await socket.nextResponse();
    expect(answer.status).toBe(413);
    expect(answer.body).toContain('BODY_TOO_LARGE');
    // Unsigned: the connection is not kept for another request.
    expect(answer.head.toLowerCase()).toContain('connection: close');
    socket.write(body);
    await socket.closed;
    expect(socket.error()).toBeUndefined();
  });

  it('drains a body refused part-way as the budget ran out, so its 503 arrives whole, then closes', async () => {
    const budget = createBodyBudget(64 * 1024);
    const { url } = await startApp({ bodyBudget: budget });
    // Signed as a hook signs (the signature is checked once the body is whole; never here).
    const signature = signedHeaders(Buffer.alloc(60_000, 0x20), { nowMs: NOW })[
      'x-commitlog-signature'
    ]!;
    const batchHead = (length: number) =>
      `POST /v1/commits/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `X-Commitlog-Signature: ${signature}\r\nContent-Length: ${length}\r\n\r\n`;
    const charged = (bytes: number) =>
      waitFor(() => budget.inUse() === bytes, { description: `${bytes} bytes charged` });
    // Two bodies of 60,000 bytes under a 64 KiB budget, each fitting when declared (bytes are
    // charged as they arrive): the second runs out of budget part-way.
    const holder = await rawConnection(url);
    holder.write(batchHead(60_000));
    holder.write(Buffer.alloc(1_000, 0x20));
    await charged(1_000);
    const late = await rawConnection(url);
    const refused = late.nextResponse();
    late.write(batchHead(60_000));
    late.write(Buffer.alloc(10_000, 0x20));
    await charged(11_000);
    holder.write(Buffer.alloc(39_000, 0x20));
    await charged(50_000);
    late.write(Buffer.alloc(20_000, 0x20));
    const answer = await refused;
    late.write(Buffer.alloc(30_000, 0x20));
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('INGEST_BUSY');
    // Its signature was never checked (the body was not read whole): the connection is not kept.
    expect(answer.head.toLowerCase()).toContain('connection: close');
    // The rest was read and thrown away before the close: no reset.
    await late.closed;
    expect(late.error()).toBeUndefined();
    holder.destroy();
  });

  it('refuses a POST without a signature with 401 before its body arrives', async () => {
    const { url } = await startApp();
    const socket = await rawConnection(url);
    const refused = socket.nextResponse();
    // The body is declared but never sent: the answer cannot wait for it.
    socket.write(
      `POST /v1/commits HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: 2000\r\n\r\n`,
    );
    const answer = await refused;
    expect(answer.status).toBe(401);
    expect(answer.body).toContain('SIGNATURE_MISSING');
    expect(answer.head.toLowerCase()).toContain('connection: close');
    socket.destroy();
  });

  describe('a request pipelined behind another on one connection', () => {
    const commitRequest = (key: string, signed: boolean): string => {
      const body = JSON.stringify(wireCommit({ key }));
      const signature = signed
        ? `X-Commitlog-Signature: ${signedHeaders(Buffer.from(body), { nowMs: NOW })['x-commitlog-signature']}\r\n`
        : '';
      return (
        `POST /v1/commits HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n${signature}\r\n${body}`
      );
    };

    it('is dropped, not stored, behind an answer that closes the connection', async () => {
      // It was stored, and its answer, queued behind the 401, never sent: Node closed the
      // connection after the 401.
      const stored: string[] = [];
      const { url, lines } = await startApp({
        enqueue: (job) => {
          stored.push(job.id);
          return Promise.resolve({ id: job.id, lane: job.lane, duplicate: false });
        },
      });
      const socket = await rawConnection(url);
      socket.write(commitRequest('unsigned', false) + commitRequest('pipelined', true));
      const answer = await socket.nextResponse();
      expect(answer.status).toBe(401);
      expect(answer.head.toLowerCase()).toContain('connection: close');
      await socket.closed;
      expect(stored).toEqual([]);
      expect(requestLines(lines).map((line) => line.status)).toEqual([401]);
      expect(lines.map((line) => line.msg)).toContain(
        'pipelined request dropped: the answer before it closed the connection',
      );
    });

    it('is handled once the answer before it is out, when that one keeps the connection', async () => {
      const stored: string[] = [];
      const { url } = await startApp({
        enqueue: (job) => {
          stored.push(job.id);
          return Promise.resolve({ id: job.id, lane: job.lane, duplicate: false });
        },
      });
      const socket = await rawConnection(url);
      socket.write(commitRequest('first', true) + commitRequest('second', true));
      const first = await socket.nextResponse();
      const second = await socket.nextResponse();
      expect([first.status, second.status]).toEqual([202, 202]);
      // Each answer its own request's, in order.
      const ids = [first.body, second.body].map((body) => (JSON.parse(body) as { id: string }).id);
      expect(stored).toHaveLength(2);
      expect(ids).toEqual(stored);
      socket.destroy();
    });
  });

  it('drains a refused body for a while only, then closes the connection', async () => {
    // Without a limit a client trickling its declared body kept its connection (one of
    // INGEST_MAX_CONNECTIONS) up to the request time-out, 30 s: this test would time out.
    const { url } = await startApp({ drainRefusedBodyMs: 50 });
    const socket = await rawConnection(url);
    const refused = socket.nextResponse();
    socket.write(
      `POST /v1/commits HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: 1000\r\n\r\n{`,
    );
    const answer = await refused;
    expect(answer.status).toBe(401);
    expect(answer.head.toLowerCase()).toContain('connection: close');
    // A byte every now and then, never the whole body.
    const trickle = setInterval(() => socket.write(' '), 10);
    try {
      await socket.closed;
    } finally {
      clearInterval(trickle);
    }
  });

  it('closes the connection after refusing a body it will not drain', async () => {
    const { url } = await startApp();
    // Over the drain cap: answered on the declared length and closed, without reading a byte.
    const huge = await rawConnection(url);
    const tooBig = huge.nextResponse();
    huge.write(
      `POST /v1/commits HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${DRAIN_REFUSED_BODY_MAX_BYTES + 1}\r\n\r\n`,
    );
    expect(await tooBig).toMatchObject({ status: 413 });
    expect((await tooBig).head.toLowerCase()).toContain('connection: close');
    await huge.closed;
    // A client waiting for 100 Continue has not sent its body and never will.
    const response = await postExpectingContinue(`${url}/v1/commits`, Buffer.alloc(200_000, 0x20), {
      'content-type': 'application/json',
    });
    expect(response.status).toBe(413);
    expect(response.continued).toBe(false);
    expect(response.headers.connection).toBe('close');
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    const { url } = await startApp({
      readiness: { ready: false, checks: { redis: { ok: false, detail: 'down' } } },
    });
    expect((await httpRequest(`${url}/healthz`)).status).toBe(200);
    const ready = await httpRequest(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ ready: false, checks: { redis: { ok: false } } });
    await httpRequest(`${url}/nope`);
    const metrics = await httpRequest(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(
      /commitlog_ingest_requests_total\{[^}]*route="unknown"[^}]*status="404"/,
    );
    expect(metrics.text).toMatch(/commitlog_ingest_rejected_total\{[^}]*code="NOT_FOUND"/);
  });

  it('answers /readyz 503 with a stopping check once the ingest is stopping, and closes the connection', async () => {
    let closing = false;
    const { url, lines } = await startApp({ isClosing: () => closing });
    expect((await httpRequest(`${url}/readyz`)).status).toBe(200);
    closing = true;
    const stopping = await httpRequest(`${url}/readyz`);
    expect(stopping.status).toBe(503);
    // The commit port names the checks; their details are for the ops port and the log.
    expect(stopping.json).toEqual({ ready: false, checks: { stopping: { ok: false } } });
    expect(stopping.headers.connection).toBe('close');
    expect(lines.filter((l) => l.msg === 'not ready')).toEqual([
      expect.objectContaining({
        checks: {
          stopping: { ok: false, detail: 'stopping: finishing the work in hand, then exiting' },
        },
      }),
    ]);
  });

  it('exports the series that alerts watch at 0 before the first request, and counts from there', async () => {
    const { url } = await startApp();
    const fresh = (await httpRequest(`${url}/metrics`)).text;
    for (const code of WATCHED_REJECTION_CODES) {
      expect(fresh).toMatch(
        new RegExp(`^commitlog_ingest_rejected_total\\{code="${code}"[^}]*\\} 0$`, 'm'),
      );
    }
    expect(fresh).toMatch(
      /^commitlog_ingest_requests_total\{route="\/v1\/commits",status="500"[^}]*\} 0$/m,
    );

    // Each refusal a hook's commit can meet answers a code that is watched (and so exported at 0).
    const postSigned = (body: string, secret = TEST_SECRET) =>
      post(`${url}/v1/commits`, body, signedHeaders(Buffer.from(body), { nowMs: NOW, secret }));
    const refusals = [
      await postSigned(JSON.stringify(wireCommitWithout('key'))),
      await postSigned(JSON.stringify(wireCommitOfSize(8192))),
      await postSigned('{"bucket":'),
      await postSigned(JSON.stringify(wireCommit()), OTHER_SECRET),
      await post(`${url}/v1/commits`, JSON.stringify(wireCommit()), {
        'content-type': 'application/json',
      }),
      await post(`${url}/v1/commits`, 'x', { 'content-type': 'text/plain' }),
    ];
    const codes = refusals.map((r) => (r.json as { error: { code: string } }).error.code);
    expect(codes).toEqual([
      'INVALID_COMMIT',
      'COMMIT_TOO_LARGE',
      'INVALID_JSON',
      'SIGNATURE_INVALID',
      'SIGNATURE_MISSING',
      'UNSUPPORTED_MEDIA_TYPE',
    ]);
    for (const code of codes) expect(WATCHED_REJECTION_CODES).toContain(code);
    const after = (await httpRequest(`${url}/metrics`)).text;
    expect(after).toMatch(/^commitlog_ingest_rejected_total\{code="INVALID_COMMIT"[^}]*\} 1$/m);
    expect(after).toMatch(/^commitlog_ingest_rejected_total\{code="BACKLOG_FULL"[^}]*\} 0$/m);
  });

  it("counts signed commit requests by the hook version their User-Agent names, and no one else's", async () => {
    const { url } = await startApp();
    const hookVersions = async () =>
      Object.fromEntries(
        [
          ...(await httpRequest(`${url}/metrics`)).text.matchAll(
            /^commitlog_ingest_hook_requests_total\{hook_version="([^"]*)"[^}]*\} (\d+)$/gm,
          ),
        ].map((m) => [m[1] ?? '', Number(m[2])]),
      );
    // From 0, so that `increase()` sees the first request of another client.
    expect(await hookVersions()).toEqual({ other: 0 });

    const postAs = (path: string, body: string, userAgent?: string, secret = TEST_SECRET) =>
      post(`${url}${path}`, body, {
        ...signedHeaders(Buffer.from(body), { nowMs: NOW, secret }),
        ...(userAgent === undefined ? {} : { 'user-agent': userAgent }),
      });
    const commit = JSON.stringify(wireCommit());
    const batch = JSON.stringify({
      commits: [wireCommit({ key: 'b1' }), wireCommit({ key: 'b2' })],
    });
    const statuses = [
      await postAs('/v1/commits', commit, 'commitlog-riak-hook/0.1.0'),
      await postAs('/v1/commits/batch', batch, 'commitlog-riak-hook/0.1.0'),
      await postAs('/v1/commits', commit, 'commitlog-riak-hook/0.2.0'),
      // Refused for its content, but signed: a hook of that version did post.
      await postAs(
        '/v1/commits',
        JSON.stringify(wireCommitWithout('key')),
        'commitlog-riak-hook/0.2.0',
      ),
      await postAs('/v1/commits', commit),
      await postAs('/v1/commits', commit, 'node'),
      await postAs('/v1/commits', commit, 'commitlog-riak-hook/0.1.0; x=<script>'),
      // Not signed by a configured secret: the header is not believed, and not counted.
      await postAs('/v1/commits', commit, 'commitlog-riak-hook/9.9.9', OTHER_SECRET),
      await post(`${url}/v1/commits`, commit, {
        'content-type': 'application/json',
        'user-agent': 'commitlog-riak-hook/9.9.8',
      }),
    ].map((r) => r.status);
    expect(statuses).toEqual([202, 202, 202, 400, 202, 202, 202, 401, 401]);
    expect(await hookVersions()).toEqual({ other: 3, '0.1.0': 2, '0.2.0': 2 });
  });

  it('sends 100 Continue only for a body it will read', async () => {
    const { url } = await startApp();
    const body = Buffer.from(JSON.stringify(wireCommit()));
    const accepted = await postExpectingContinue(
      `${url}/v1/commits`,
      body,
      signedHeaders(body, { nowMs: NOW }),
    );
    expect(accepted).toMatchObject({ status: 202, continued: true });

    const huge = Buffer.alloc(100_000, 0x20);
    const refused = await postExpectingContinue(`${url}/v1/commits/batch`, huge, {
      'content-type': 'application/json',
    });
    expect(refused).toMatchObject({ status: 413, continued: false });
    const wrongType = await postExpectingContinue(`${url}/v1/commits`, body, {
      'content-type': 'text/plain',
    });
    expect(wrongType).toMatchObject({ status: 415, continued: false });
  });

  it('logs and counts a request whose client went away mid-body', async () => {
    let reading = false;
    const never = (): Promise<never> => new Promise(() => undefined);
    const { url, lines } = await startApp({
      commits: {
        postCommit: async (r) => {
          reading = true;
          await r.readBody(1000);
          return never();
        },
        postBatch: never,
      },
    });
    const client = request(`${url}/v1/commits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '500' },
    });
    client.on('error', () => undefined);
    client.write('{"bucket":');
    await waitFor(() => reading, { description: 'the handler to read the body' });
    client.destroy();

    const line = await waitFor(() => requestLines(lines)[0]);
    expect(line).toMatchObject({ route: '/v1/commits', aborted: true });
    const metrics = await httpRequest(`${url}/metrics`);
    expect(metrics.text).toMatch(/commitlog_ingest_requests_total\{[^}]*status="aborted"/);
  });

  it('counts and logs, with its id, a commit stored after its client gave up waiting', async () => {
    let storing = false;
    let store: (() => void) | undefined;
    const { url, lines } = await startApp({
      commits: {
        postCommit: async (r) => {
          await r.readBody(1000);
          storing = true;
          // Redis is slow: the commit is stored after the client (a hook past its budget) left.
          await new Promise<void>((resolve) => (store = resolve));
          return {
            status: 202,
            body: { id: 'c-late', lane: 3, duplicate: false },
            summary: { commits: 1, accepted: 1, jobId: 'c-late', lane: 3 },
          };
        },
        postBatch: () => new Promise(() => undefined),
      },
    });
    const client = request(`${url}/v1/commits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '2' },
    });
    client.on('error', () => undefined);
    client.end('{}');
    await waitFor(() => storing, { description: 'the handler to start storing' });
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requestLines(lines)).toEqual([]);

    store?.();
    const line = await waitFor(() => requestLines(lines)[0]);
    expect(line).toMatchObject({ route: '/v1/commits', aborted: true, jobId: 'c-late', lane: 3 });
    const metrics = await httpRequest(`${url}/metrics`);
    expect(metrics.text).toMatch(/^commitlog_ingest_commits_accepted_total\{[^}]*\} 1$/m);
  });

  it('closes the connection after every answer to a request whose signature did not check out', async () => {
    const { url } = await startApp();
    const commit = JSON.stringify(wireCommit());
    /** A POST of `body` (sent whole: a wrong secret is found only once the body is read). */
    const postOf = (headers: Record<string, string>, body = '') =>
      `POST /v1/commits HTTP/1.1\r\nHost: x\r\n` +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const signedAt = (nowMs: number, secret = TEST_SECRET) =>
      signedHeaders(Buffer.from(commit), { nowMs, secret });
    const requests: [string, string, number][] = [
      ['415, before the signature', postOf({}), 415],
      ['no signature', postOf({ 'Content-Type': 'application/json' }), 401],
      ['a wrong secret', postOf(signedAt(NOW, OTHER_SECRET), commit), 401],
      ['an expired signature', postOf(signedAt(NOW - 3_600_000), commit), 401],
      ['a probe', 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 200],
      ['no such route', 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n', 404],
    ];
    for (const [what, request, status] of requests) {
      const socket = await rawConnection(url);
      socket.write(request);
      const answer = await socket.nextResponse();
      expect({
        what,
        status: answer.status,
        connection: /^connection: (.*)$/im.exec(answer.head)?.[1],
      }).toEqual({ what, status, connection: 'close' });
      await socket.closed;
    }
  });

  it('keeps the connection of a signed request, refused for its content or not', async () => {
    const { url } = await startApp();
    const socket = await rawConnection(url);
    const send = (path: string, body: string) => {
      const headers = signedHeaders(Buffer.from(body), { nowMs: NOW });
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${headers['content-type']}\r\n` +
          `X-Commitlog-Signature: ${headers['x-commitlog-signature']}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return socket.nextResponse();
    };
    const statuses = [];
    for (const [path, body] of [
      ['/v1/commits', JSON.stringify(wireCommit())],
      ['/v1/commits', JSON.stringify(wireCommitWithout('key'))],
      ['/v1/commits/batch', JSON.stringify({ commits: [wireCommit({ key: 'k2' })] })],
    ] as const) {
      const answer = await send(path, body);
      expect(answer.head.toLowerCase()).toContain('connection: keep-alive');
      statuses.push(answer.status);
    }
    // All three on the one connection, as a hook's and `commitlog requeue`'s are.
    expect(statuses).toEqual([202, 400, 202]);
    socket.destroy();
  });

  it('lets no unsigned request hold a connection: with INGEST_MAX_CONNECTIONS of them sent, a signed commit is taken', async () => {
    const cap = 3;
    const { url } = await startApp({ maxConnections: cap });
    // What anyone who reaches the port can send, again before each keep-alive time-out.
    const held = [];
    for (let i = 0; i < cap; i++) {
      const socket = await rawConnection(url);
      socket.write('POST /v1/commits HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
      held.push(socket);
    }
    for (const socket of held) {
      const answer = await socket.nextResponse();
      expect(answer.status).toBe(415);
      expect(answer.head.toLowerCase()).toContain('connection: close');
      await socket.closed;
    }
    // The server counts a connection closed once its own side is.
    const open = (): Promise<number> =>
      new Promise((resolve, reject) =>
        server!.getConnections((error, n) => (error ? reject(error) : resolve(n))),
      );
    await waitFor(async () => (await open()) === 0, { description: 'the connections closed' });
    const body = JSON.stringify(wireCommit());
    const signed = await post(
      `${url}/v1/commits`,
      body,
      signedHeaders(Buffer.from(body), { nowMs: NOW }),
    );
    expect(signed.status).toBe(202);
  });

  it('answers an HTTP/1.1 request without Host 400 in JSON, logged and counted', async () => {
    const { url, lines } = await startApp();
    const socket = await rawConnection(url);
    socket.write('GET /healthz HTTP/1.1\r\n\r\n');
    const answer = await socket.nextResponse();
    expect(answer.status).toBe(400);
    expect(answer.head.toLowerCase()).toContain('content-type: application/json');
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        code: 'HOST_MISSING',
        message: 'the request has no Host header, which HTTP/1.1 requires',
        path: '',
      },
    });
    await socket.closed;
    expect(await waitFor(() => requestLines(lines)[0])).toMatchObject({
      level: 'info',
      status: 400,
      code: 'HOST_MISSING',
      client: '127.0.0.1',
    });
    const metrics = (await httpRequest(`${url}/metrics`)).text;
    expect(metrics).toMatch(/^commitlog_ingest_rejected_total\{code="HOST_MISSING"[^}]*\} 1$/m);
    // HTTP/1.0 has no Host to require.
    const old = await rawConnection(url);
    old.write('GET /healthz HTTP/1.0\r\n\r\n');
    expect((await old.nextResponse()).status).toBe(200);
    old.destroy();
  });
});
