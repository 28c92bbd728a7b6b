import { commitId, laneOf, parseCommit } from '@commitlog/core';
import {
  laneCountKey,
  laneQueueName,
  readLaneBacklogs,
  type RedisConnection,
} from '@commitlog/queue';
import {
  createLogger,
  loadIngestConfig,
  readBuildVersion,
  type IngestConfig,
} from '@commitlog/runtime';
import {
  createTestQueuePrefix,
  freePort,
  startPrivateRedis,
  waitFor,
  type PrivateRedis,
  type PrivateRedisOptions,
  type TestQueuePrefix,
} from '@commitlog/testkit';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startIngest, type RunningIngest } from './start-ingest.ts';
import { post, httpRequest, type TestResponse } from './test-http.ts';
import {
  signedHeaders,
  TEST_SECRET,
  wireCommit,
  wireCommitOfSize,
  wireCommitWithout,
} from './test-fixtures.ts';

const MAX_COMMIT_BYTES = 2048;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Log lines of the ingest under test, parsed. */
function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'ingest',
    level: 'debug',
    destination: {
      write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
    },
  });
  return { logger, lines };
}

function testConfig(redisUrl: string, prefix: string): IngestConfig {
  // The production defaults, read the way production reads them, then the test's own Redis,
  // prefix, a free port and a small commit limit.
  return {
    ...loadIngestConfig({ INGEST_SECRETS: TEST_SECRET, REDIS_URL: redisUrl, LOG_LEVEL: 'debug' }),
    queuePrefix: prefix,
    port: 0,
    opsPort: 0,
    maxCommitBytes: MAX_COMMIT_BYTES,
  };
}

interface Harness {
  ingest: RunningIngest;
  url: string;
  config: IngestConfig;
  queue: TestQueuePrefix;
  lines: Record<string, unknown>[];
  /** Signs and POSTs a JSON body. */
  postSigned(path: string, body: unknown): Promise<TestResponse>;
}

async function start(
  options: { redis?: PrivateRedis; now?: () => number; config?: Partial<IngestConfig> } = {},
): Promise<Harness> {
  const queue = createTestQueuePrefix(options.redis ? { redisUrl: options.redis.url } : {});
  cleanups.push(() => queue.cleanup());
  const config = { ...testConfig(queue.redisUrl, queue.prefix), ...options.config };
  const { logger, lines } = captureLogger();
  const ingest = await startIngest(config, logger, options.now ? { now: options.now } : {});
  cleanups.push(() => ingest.close());
  const url = `http://127.0.0.1:${ingest.port}`;
  return {
    ingest,
    url,
    config,
    queue,
    lines,
    postSigned(path, body) {
      const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      return post(`${url}${path}`, bytes, signedHeaders(bytes, { nowMs: Date.now() }));
    },
  };
}

async function privateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const redis = await startPrivateRedis(options);
  cleanups.push(() => redis.cleanup());
  return redis;
}

function jobKey(prefix: string, lane: number, id: string): string {
  return `${prefix}:${laneQueueName(lane)}:${id}`;
}

/** Every key under the prefix except BullMQ's per-queue metadata and the recorded lane count. */
async function keysUnder(redis: RedisConnection, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    keys.push(...batch.filter((k) => !k.endsWith(':meta') && k !== laneCountKey(prefix)));
  } while (cursor !== '0');
  return keys.sort();
}

function idAndLane(wire: Record<string, unknown>, lanes: number) {
  const commit = parseCommit(wire);
  return { id: commitId(commit), lane: laneOf(commit, lanes) };
}

describe('ingest against the real Redis', () => {
  it('stores a signed commit as a job before answering 202, and a repeat is a duplicate', async () => {
    const h = await start();
    const wire = wireCommit();
    const { id, lane } = idAndLane(wire, h.config.lanes);

    const first = await h.postSigned('/v1/commits', wire);
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ id, lane, duplicate: false });
    expect(await h.queue.redis.exists(jobKey(h.config.queuePrefix, lane, id))).toBe(1);

    const again = await h.postSigned('/v1/commits', wire);
    expect(again.status).toBe(202);
    expect(again.json).toEqual({ id, lane, duplicate: true });
    const [backlog] = await readLaneBacklogs(h.queue.redis, h.config.queuePrefix, [lane]);
    expect(backlog?.waiting).toBe(1);
  });

  it('stores a batch, answering in order', async () => {
    const h = await start();
    const wires = ['k1', 'k2', 'k3', 'k1-again'].map((key) => wireCommit({ key }));
    const response = await h.postSigned('/v1/commits/batch', { commits: wires });
    expect(response.status).toBe(202);
    const expected = wires.map((w) => ({ ...idAndLane(w, h.config.lanes), duplicate: false }));
    expect(response.json).toEqual({ results: expected });
    for (const { id, lane } of expected) {
      expect(await h.queue.redis.exists(jobKey(h.config.queuePrefix, lane, id))).toBe(1);
    }
  });

  it('refuses every bad input with its status and field, and stores nothing', async () => {
    const h = await start();
    const url = `${h.url}/v1/commits`;
    const valid = JSON.stringify(wireCommit());
    const signed = (body: string) => signedHeaders(Buffer.from(body), { nowMs: Date.now() });
    const withoutKey = wireCommitWithout('key');
    const batchWithBadThird = {
      commits: [wireCommit({ key: 'a' }), wireCommit({ key: 'b' }), withoutKey, wireCommit()],
    };
    const batchWithLargeSecond = {
      commits: [wireCommit({ key: 'a' }), wireCommitOfSize(MAX_COMMIT_BYTES + 1)],
    };

    const cases: [string, Promise<TestResponse>, number, string, string | undefined][] = [
      [
        'text/plain',
        post(url, valid, { ...signed(valid), 'content-type': 'text/plain' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        undefined,
      ],
      [
        'unsigned',
        post(url, valid, { 'content-type': 'application/json' }),
        401,
        'SIGNATURE_MISSING',
        undefined,
      ],
      [
        'wrong signature',
        post(url, valid, signed(`${valid} `)),
        401,
        'SIGNATURE_INVALID',
        undefined,
      ],
      ['not JSON', h.postSigned('/v1/commits', '{"key":'), 400, 'INVALID_JSON', ''],
      ['no key', h.postSigned('/v1/commits', withoutKey), 400, 'INVALID_COMMIT', 'key'],
      [
        'batch, no key in the third',
        h.postSigned('/v1/commits/batch', batchWithBadThird),
        400,
        'INVALID_COMMIT',
        'commits[2].key',
      ],
      [
        'batch, second too large',
        h.postSigned('/v1/commits/batch', batchWithLargeSecond),
        413,
        'COMMIT_TOO_LARGE',
        'commits[1]',
      ],
      [
        '__proto__',
        h.postSigned('/v1/commits', `{"__proto__":{"polluted":true},${valid.slice(1)}`),
        400,
        'INVALID_COMMIT',
        '__proto__',
      ],
    ];
    for (const [name, responding, status, code, path] of cases) {
      const response = await responding;
      expect({ name, status: response.status }).toEqual({ name, status });
      const error = (response.json as { error: { code: string; message: string; path?: string } })
        .error;
      expect({ name, code: error.code }).toEqual({ name, code });
      if (path !== undefined) {
        expect({ name, path: error.path }).toEqual({ name, path });
        expect(error.message).toContain(path);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await keysUnder(h.queue.redis, h.config.queuePrefix)).toEqual([]);
  });

  it('refuses a body over its limit with 413 (declared or chunked) and goes on serving', async () => {
    const h = await start();
    const huge = Buffer.alloc(10 * 1024 * 1024, 0x20);
    // Signed: a request without a valid signature header is refused (401) before its body is read.
    const signed = (body: Buffer, headers: Record<string, string>) => ({
      ...signedHeaders(body, { nowMs: Date.now() }),
      ...headers,
    });
    // A declared length may be as large as a batch's (a commit's metadata may pass the room the
    // commit limit leaves for JSON); a chunked body is held to the commit limit.
    const overDeclared = Buffer.alloc(h.config.maxBatchBytes + 1, 0x20);
    const declared = await post(
      `${h.url}/v1/commits`,
      overDeclared,
      signed(overDeclared, { 'content-type': 'application/json' }),
    );
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });

    const chunked = await post(
      `${h.url}/v1/commits`,
      huge,
      signed(huge, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
    );
    expect(chunked.status).toBe(413);
    expect(chunked.json).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });

    // A batch may carry up to MAX_BATCH_BYTES (16 MiB by default).
    const overBatchBody = Buffer.alloc(h.config.maxBatchBytes + 1);
    const overBatch = await post(
      `${h.url}/v1/commits/batch`,
      overBatchBody,
      signed(overBatchBody, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
    );
    expect(overBatch.status).toBe(413);

    expect((await httpRequest(`${h.url}/healthz`)).status).toBe(200);
    expect((await h.postSigned('/v1/commits', wireCommit())).status).toBe(202);
    expect(await keysUnder(h.queue.redis, h.config.queuePrefix)).not.toEqual([]);
  });

  it('counts requests, accepted, duplicate and rejected commits on /metrics', async () => {
    const h = await start();
    await h.postSigned('/v1/commits', wireCommit());
    await h.postSigned('/v1/commits', wireCommit());
    await h.postSigned('/v1/commits', '{');
    const metrics = await httpRequest(`${h.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^commitlog_ingest_commits_accepted_total\{[^}]*\} 1$/m);
    // Redis runs on this host: its clock and the ingest's agree within a second.
    const offset = /^commitlog_clock_offset_seconds\{[^}]*\} (\S+)$/m.exec(metrics.text)?.[1];
    expect(Math.abs(Number(offset))).toBeLessThan(1);
    expect(metrics.text).toMatch(/^commitlog_ingest_commits_duplicate_total\{[^}]*\} 1$/m);
    expect(metrics.text).toMatch(
      /^commitlog_ingest_rejected_total\{[^}]*code="INVALID_JSON"[^}]*\} 1$/m,
    );
    expect(metrics.text).toMatch(
      /^commitlog_ingest_requests_total\{[^}]*route="\/v1\/commits"[^}]*status="202"[^}]*\} 2$/m,
    );
    expect(metrics.text).toMatch(
      /^commitlog_ingest_request_seconds_count\{[^}]*route="\/v1\/commits"/m,
    );
    // Ready, and Redis's memory as the ingest reads it (the test Redis has no maxmemory).
    expect(metrics.text).toMatch(/^commitlog_ingest_ready\{[^}]*\} 1$/m);
    expect(metrics.text).toMatch(/^commitlog_redis_memory_used_bytes\{[^}]*\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^commitlog_redis_memory_max_bytes\{[^}]*\} 0$/m);
    // Watched from the start: a hook giving up on the ingest is seen from the first time.
    expect(metrics.text).toMatch(
      /^commitlog_ingest_requests_total\{[^}]*route="\/v1\/commits"[^}]*status="aborted"[^}]*\} 0$/m,
    );
  });

  it('reports its release, and counts the hook versions that post signed commits', async () => {
    const h = await start();
    const asHook = async (key: string, userAgent: string) => {
      const body = Buffer.from(JSON.stringify(wireCommit({ key })));
      const headers = { ...signedHeaders(body, { nowMs: Date.now() }), 'user-agent': userAgent };
      return (await post(`${h.url}/v1/commits`, body, headers)).status;
    };
    expect(await asHook('a', 'commitlog-riak-hook/0.1.0')).toBe(202);
    expect(await asHook('b', 'commitlog-riak-hook/0.1.0')).toBe(202);
    expect(await asHook('c', 'curl/8.5.0')).toBe(202);
    const text = (await httpRequest(`${h.url}/metrics`)).text;
    expect(text).toMatch(
      /^commitlog_ingest_hook_requests_total\{hook_version="0\.1\.0"[^}]*\} 2$/m,
    );
    expect(text).toMatch(/^commitlog_ingest_hook_requests_total\{hook_version="other"[^}]*\} 1$/m);
    expect(text).toContain(
      `commitlog_build_info{version="${readBuildVersion()}",service="ingest"} 1\n`,
    );
  });

  it('counts and logs the requests that Node refuses before the app sees them', async () => {
    const h = await start();
    // Node's parser refuses these (not HTTP; an Expect it cannot meet): the app never runs.
    for (const raw of [
      'NOT HTTP secret-value\r\n\r\n',
      'NOT HTTP again\r\n\r\n',
      'POST /v1/commits HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 0\r\n\r\n',
    ]) {
      const socket = connect(h.ingest.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.resume();
      socket.end(raw);
      await once(socket, 'close');
    }
    const metrics = (await httpRequest(`${h.url}/metrics`)).text;
    expect(metrics).toMatch(
      /^commitlog_ingest_rejected_total\{[^}]*code="BAD_HTTP_REQUEST"[^}]*\} 2$/m,
    );
    expect(metrics).toMatch(
      /^commitlog_ingest_rejected_total\{[^}]*code="EXPECTATION_FAILED"[^}]*\} 1$/m,
    );
    expect(metrics).toMatch(
      /^commitlog_ingest_requests_total\{[^}]*route="unknown"[^}]*status="400"[^}]*\} 2$/m,
    );
    expect(metrics).toMatch(
      /^commitlog_ingest_requests_total\{[^}]*route="unknown"[^}]*status="417"[^}]*\} 1$/m,
    );
    // One line per code and minute, naming the client, without a byte of the request.
    const refused = h.lines.filter((line) => /refused before it was read/.test(String(line.msg)));
    expect(refused.map((line) => [line.code, line.status, line.client])).toEqual([
      ['BAD_HTTP_REQUEST', 400, '127.0.0.1'],
      ['EXPECTATION_FAILED', 417, '127.0.0.1'],
    ]);
    expect(JSON.stringify(h.lines)).not.toContain('secret-value');
  });

  it('answers probes and scrapes on its ops port while INGEST_MAX_CONNECTIONS clients hold the other', async () => {
    const h = await start({ config: { maxConnections: 2 } });
    const held: Socket[] = [];
    cleanups.push(() => Promise.resolve(held.forEach((socket) => socket.destroy())));
    for (let i = 0; i < 2; i++) {
      const socket = connect(h.ingest.port, '127.0.0.1');
      await once(socket, 'connect');
      held.push(socket);
    }
    // The commit port is full: a probe there is closed as it is accepted.
    await expect(httpRequest(`${h.url}/healthz`)).rejects.toMatchObject({ code: 'ECONNRESET' });

    const ops = `http://127.0.0.1:${h.ingest.opsPort}`;
    expect(h.ingest.opsPort).not.toBe(h.ingest.port);
    expect((await httpRequest(`${ops}/healthz`)).status).toBe(200);
    const ready = await httpRequest(`${ops}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ ready: true, checks: { redis: { ok: true } } });
    const metrics = await httpRequest(`${ops}/metrics`);
    expect(metrics.text).toMatch(/^commitlog_ingest_connections_dropped_total\{[^}]*\} [1-9]/m);
    // The warning names the client whose connection was closed.
    const dropped = h.lines.find((line) =>
      /INGEST_MAX_CONNECTIONS are open/.test(String(line.msg)),
    );
    expect(dropped).toMatchObject({ level: 'warn', maxConnections: 2, client: '127.0.0.1' });
  });

  it.each([
    ['ops port', 'opsPort', 'port'],
    ['commit port', 'port', 'opsPort'],
  ] as const)(
    'fails to start when its %s is taken, naming it, with no port left open and Redis closed',
    async (_which, taken, other) => {
      const holder = createServer();
      holder.listen(0, '127.0.0.1');
      await once(holder, 'listening');
      cleanups.push(() => new Promise((resolve) => holder.close(resolve)));
      const busy = (holder.address() as AddressInfo).port;
      // A Redis of its own, to count the ingest's connections to it.
      const redis = await privateRedis();
      const queue = createTestQueuePrefix({ redisUrl: redis.url });
      cleanups.push(() => queue.cleanup());
      const free = await freePort();
      const config = {
        ...testConfig(queue.redisUrl, queue.prefix),
        [taken]: busy,
        [other]: free,
      };
      const { logger } = captureLogger();
      await expect(startIngest(config, logger)).rejects.toThrow(
        new RegExp(`127\\.0\\.0\\.1:${busy}\\b`),
      );
      // The other port is closed (the commit port never opened; the ops server, started first,
      // closed again), and so is the Redis connection.
      await expect(httpRequest(`http://127.0.0.1:${free}/healthz`)).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
      await waitFor(
        async () =>
          !((await queue.redis.call('CLIENT', 'LIST')) as string).includes('name=commitlog-ingest'),
        { timeoutMs: 10_000, description: "the ingest's Redis connection closed" },
      );
    },
  );

  it('is ready on a safe Redis', async () => {
    const h = await start();
    const ready = await httpRequest(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ ready: true, checks: { redis: { ok: true } } });
  });
});

describe('ingest when Redis is away or unsafe', () => {
  it('answers 503 with Retry-After while Redis is down, never 202, and 202 once it is back', async () => {
    const redis = await privateRedis();
    const h = await start({ redis });
    expect((await h.postSigned('/v1/commits', wireCommit({ key: 'before' }))).status).toBe(202);

    await redis.stop();
    // The same key, so the same lane, whose queue is set up already: a new lane's queue would
    // ask INFO for itself, and be refused for its own reasons.
    const wire = wireCommit({
      key: 'before',
      vclock: Buffer.from('a later vclock').toString('base64'),
    });
    const { id, lane } = idAndLane(wire, h.config.lanes);
    for (let i = 0; i < 3; i += 1) {
      const refused = await h.postSigned('/v1/commits', wire);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.json).toMatchObject({ error: { code: 'QUEUE_UNAVAILABLE' } });
    }
    const ready = await httpRequest(`${h.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({ ready: false, checks: { redis: { ok: false } } });
    // What the alert on no ingest ready reads: a Service takes every such ingest out of it.
    expect((await httpRequest(`${h.url}/metrics`)).text).toMatch(
      /^commitlog_ingest_ready\{[^}]*\} 0$/m,
    );

    await redis.start();
    // Every answer while Redis comes back, checked after the wait: waitFor takes a throw for
    // "not yet", so an assertion inside it would let a 500 pass as a retry.
    const statuses: number[] = [];
    const accepted = await waitFor(
      async () => {
        const response = await h.postSigned('/v1/commits', wire);
        statuses.push(response.status);
        return response.status === 202 ? response : undefined;
      },
      { timeoutMs: 20_000, description: 'a POST to be accepted after Redis restarted' },
    );
    expect(statuses.filter((status) => status !== 202 && status !== 503)).toEqual([]);
    expect(accepted.json).toEqual({ id, lane, duplicate: false });
    expect(await h.queue.redis.exists(jobKey(h.config.queuePrefix, lane, id))).toBe(1);
    await waitFor(async () => (await httpRequest(`${h.url}/readyz`)).status === 200);
  });

  it('starts while Redis is down, refusing commits until it is up', async () => {
    const redis = await privateRedis();
    await redis.stop();
    const h = await start({ redis });
    expect((await httpRequest(`${h.url}/readyz`)).status).toBe(503);
    const refused = await h.postSigned('/v1/commits', wireCommit());
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');

    await redis.start();
    await waitFor(async () => (await h.postSigned('/v1/commits', wireCommit())).status === 202, {
      timeoutMs: 20_000,
      description: 'a POST to be accepted once Redis is up',
    });
  });

  it('is not ready, and refuses commits, once Redis may evict them', async () => {
    const redis = await privateRedis();
    const h = await start({ redis });
    await h.queue.redis.config('SET', 'maxmemory-policy', 'allkeys-lru');

    // The ops port says why; the commit port, open to every Riak node, only which check failed.
    const ready = await httpRequest(`http://127.0.0.1:${h.ingest.opsPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.json)).toContain('allkeys-lru');
    const told = await httpRequest(`${h.url}/readyz`);
    expect(told.status).toBe(503);
    expect(told.json).toMatchObject({ ready: false, checks: { redisSafety: { ok: false } } });
    expect(JSON.stringify(told.json)).not.toContain('allkeys-lru');
    const refused = await h.postSigned('/v1/commits', wireCommit());
    expect(refused.status).toBe(503);
    expect(refused.json).toMatchObject({ error: { code: 'QUEUE_UNAVAILABLE' } });
    expect(JSON.stringify(refused.json)).toContain('maxmemory-policy');
    expect(h.lines.some((l) => l.level === 'error' && String(l.msg).includes('UNSAFE REDIS'))).toBe(
      true,
    );

    await h.queue.redis.config('SET', 'maxmemory-policy', 'noeviction');
    // A reading answers every /readyz for a second: the next one after it sees the change.
    await waitFor(async () => (await httpRequest(`${h.url}/readyz`)).status === 200, {
      timeoutMs: 5_000,
      description: '/readyz ready again',
    });
    expect((await h.postSigned('/v1/commits', wireCommit())).status).toBe(202);
  });

  it('stores nothing in a Redis that comes up set to evict while commits wait for it', async () => {
    const redis = await privateRedis({ maxmemoryPolicy: 'allkeys-lru' });
    await redis.stop();
    const h = await start({ redis });
    // POSTs one after the other, each waiting for Redis (up to 2 s), while it comes up set to
    // evict: one of them is waiting when the connection becomes ready.
    const statuses: number[] = [];
    let posting = true;
    const poster = (async () => {
      for (let n = 0; n < 400 && posting; n++) {
        statuses.push((await h.postSigned('/v1/commits', wireCommit({ key: `k${n}` }))).status);
      }
    })();
    await redis.start();
    await waitFor(
      async () =>
        JSON.stringify((await h.postSigned('/v1/commits', wireCommit())).json).includes(
          'maxmemory-policy',
        ),
      { timeoutMs: 20_000, description: 'the ingest to refuse, naming the eviction policy' },
    );
    posting = false;
    await poster;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 503)).toEqual([]);
    expect(await keysUnder(h.queue.redis, h.config.queuePrefix)).toEqual([]);
  });

  it('refuses to start on a Redis that may evict accepted commits', async () => {
    const redis = await privateRedis();
    const queue = createTestQueuePrefix({ redisUrl: redis.url });
    cleanups.push(() => queue.cleanup());
    await queue.redis.config('SET', 'maxmemory-policy', 'volatile-lru');
    const { logger } = captureLogger();
    await expect(startIngest(testConfig(redis.url, queue.prefix), logger)).rejects.toMatchObject({
      code: 'UNSAFE_REDIS',
      message: expect.stringContaining('volatile-lru') as unknown,
    });
  });

  it('refuses to start as a Redis user that may not read the settings (INFO)', async () => {
    const redis = await privateRedis();
    const queue = createTestQueuePrefix({ redisUrl: redis.url });
    cleanups.push(() => queue.cleanup());
    await queue.redis.call('ACL', 'SETUSER', 'noinfo', 'on', '>pw', '~*', '&*', '+@all', '-info');
    const url = redis.url.replace('redis://', 'redis://noinfo:pw@');
    const { logger } = captureLogger();
    await expect(startIngest(testConfig(url, queue.prefix), logger)).rejects.toThrow(/NOPERM/);
  });

  it('stores nothing once a reading of the settings fails at a reconnection, until one succeeds', async () => {
    const redis = await privateRedis();
    const admin = createTestQueuePrefix({ redisUrl: redis.url });
    cleanups.push(() => admin.cleanup());
    await admin.redis.call('ACL', 'SETUSER', 'ingest', 'on', '>pw', '~*', '&*', '+@all');
    const h = await start({
      redis: { ...redis, url: redis.url.replace('redis://', 'redis://ingest:pw@') },
    });
    expect((await h.postSigned('/v1/commits', wireCommit({ key: 'before' }))).status).toBe(202);

    // The user loses INFO and its connections: the reading sent at the reconnection fails.
    await admin.redis.call('ACL', 'SETUSER', 'ingest', '-info');
    await admin.redis.call('CLIENT', 'KILL', 'USER', 'ingest');
    await waitFor(
      () => h.lines.some((l) => String(l.msg).includes('could not read Redis settings')),
      {
        timeoutMs: 10_000,
        description: 'the reading at the reconnection to fail',
      },
    );
    // The same key, so the same lane, whose queue is set up already: a new lane's queue would
    // ask INFO for itself, and be refused for its own reasons.
    const wire = wireCommit({
      key: 'before',
      vclock: Buffer.from('a later vclock').toString('base64'),
    });
    const refused = await h.postSigned('/v1/commits', wire);
    expect(refused.status).toBe(503);
    expect(JSON.stringify(refused.json)).toContain('NOPERM');
    const { id, lane } = idAndLane(wire, h.config.lanes);
    expect(await admin.redis.exists(jobKey(h.config.queuePrefix, lane, id))).toBe(0);

    await admin.redis.call('ACL', 'SETUSER', 'ingest', '+info');
    expect((await h.postSigned('/v1/commits', wire)).status).toBe(202);
  });

  it('stops gracefully: refuses new connections, lets the request under way finish', async () => {
    const redis = await privateRedis();
    // The handler reads the clock once the body is in and signed: the request is then under way.
    let handling = false;
    const h = await start({
      redis,
      now: () => {
        handling = true;
        return Date.now();
      },
    });
    const pid = redis.pid()!;
    // A frozen Redis holds the request in its enqueue.
    process.kill(pid, 'SIGSTOP');
    let frozen = true;
    cleanups.push(() => {
      if (frozen) process.kill(pid, 'SIGCONT');
      return Promise.resolve();
    });

    const answer = h.postSigned('/v1/commits', wireCommit());
    await waitFor(() => handling, { description: 'the POST to reach its handler' });
    let closed = false;
    const closing = h.ingest.close().then(() => (closed = true));
    await waitFor(
      () =>
        httpRequest(`${h.url}/healthz`).then(
          () => false,
          (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
        ),
      { description: 'new connections to be refused' },
    );
    expect(closed).toBe(false);

    process.kill(pid, 'SIGCONT');
    frozen = false;
    const response = await answer;
    expect(response.status).toBe(202);
    expect(response.headers.connection).toBe('close');
    await closing;
    expect(closed).toBe(true);
  });
});
