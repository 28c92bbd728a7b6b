import {
  CommitlogError,
  commitId,
  countJsonValues,
  laneOf,
  MAX_JSON_DEPTH,
  parseCommit,
  signRequest,
  singleCommitBodyLimit,
} from '@commitlog/core';
import {
  BacklogFullError,
  QueueUnavailableError,
  ReplicasBehindError,
  type CommitJobData,
  type EnqueueResult,
} from '@commitlog/queue';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createBodyBudget } from './body-budget.ts';
import { createCommitHandlers, singleRequestBodyLimit } from './commit-handlers.ts';
import type { CommitRequest } from './commit-request.ts';
import { readRawBody } from './read-raw-body.ts';
import { VALUE_BUDGET_BYTES } from './signed-json.ts';
import type { CommitResponse } from './request-summary.ts';
import {
  OTHER_SECRET,
  TEST_SECRET,
  wireCommit,
  wireCommitOfSize,
  wireCommitWithout,
} from './test-fixtures.ts';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const CONFIG = {
  lanes: 16,
  maxCommitBytes: 4096,
  maxBatchBytes: 64 * 1024,
  secrets: [TEST_SECRET],
  replayWindowS: 300,
  routes: [],
};

/** An enqueuer that stores in memory; `refuse` decides, per job, to reject instead. */
function fakeEnqueuer(refuse?: (job: CommitJobData, index: number) => Error | undefined) {
  const stored = new Map<string, CommitJobData>();
  const calls: CommitJobData[] = [];
  return {
    stored,
    calls,
    refuse,
    enqueue(job: CommitJobData): Promise<EnqueueResult> {
      const index = calls.push(job) - 1;
      const error = this.refuse?.(job, index);
      if (error) return Promise.reject(error);
      const duplicate = stored.has(job.id);
      if (!duplicate) stored.set(job.id, job);
      return Promise.resolve({ id: job.id, lane: job.lane, duplicate });
    },
  };
}

function handlers(enqueuer = fakeEnqueuer(), overrides: Partial<typeof CONFIG> = {}) {
  return createCommitHandlers({ enqueuer, config: { ...CONFIG, ...overrides }, now: () => NOW });
}

interface RequestOptions {
  contentType?: string | undefined;
  contentEncoding?: string;
  /** The signature header; default a valid one. */
  signature?: string | undefined;
  /** Declared Content-Length; default none (a chunked body). */
  contentLength?: number;
}

let bodyReads = 0;

function request(body: string | Buffer, options: RequestOptions = {}): CommitRequest {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return {
    contentType: 'contentType' in options ? options.contentType : 'application/json',
    contentEncoding: options.contentEncoding,
    contentLength: options.contentLength,
    signature:
      'signature' in options ? options.signature : signRequest(TEST_SECRET, bytes, NOW / 1000),
    readBody: (limit, admit) => {
      bodyReads += 1;
      // In 1 KiB chunks, as a socket would deliver them.
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 1024) chunks.push(bytes.subarray(i, i + 1024));
      return readRawBody(Readable.from(chunks), limit, admit);
    },
  };
}

const json = (value: unknown): string => JSON.stringify(value);

function expectError(
  response: CommitResponse,
  status: number,
  code: string,
  path?: string,
): { code: string; message: string; path?: string } {
  expect(response.status).toBe(status);
  const { error } = response.body as { error: { code: string; message: string; path?: string } };
  expect(error.code).toBe(code);
  expect(error.message).toEqual(expect.any(String));
  if (path !== undefined) expect(error.path).toBe(path);
  return error;
}

describe('POST /v1/commits', () => {
  it('stores a signed commit and answers 202 with its id and lane', async () => {
    const enqueuer = fakeEnqueuer();
    const commit = wireCommit();
    const response = await handlers(enqueuer).postCommit(request(json(commit)));

    const parsed = parseCommit(commit);
    const id = commitId(parsed);
    const lane = laneOf(parsed, CONFIG.lanes);
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ id, lane, duplicate: false });
    expect(enqueuer.calls).toEqual([
      { id, lane, commit: parsed, receivedAt: new Date(NOW).toISOString() },
    ]);
    expect(response.summary).toMatchObject({
      commits: 1,
      accepted: 1,
      duplicates: 0,
      bucket: 'transactions',
      key: 'txn-123',
      jobId: id,
      lane,
    });
  });

  it('answers duplicate: true when the same commit is posted again', async () => {
    const enqueuer = fakeEnqueuer();
    const ingest = handlers(enqueuer);
    const body = json(wireCommit());
    await ingest.postCommit(request(body));
    const again = await ingest.postCommit(request(body));
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ duplicate: true });
    expect(again.summary).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(enqueuer.stored.size).toBe(1);
  });

  it('shows a non-UTF-8 key as base64 in the summary, and never a value', async () => {
    const commit = wireCommit({ key: { base64: '/w==' } });
    const response = await handlers().postCommit(request(json(commit)));
    expect(response.status).toBe(202);
    expect(response.summary.key).toBe('base64:/w==');
    expect(JSON.stringify(response.summary)).not.toContain(
      Buffer.from('{"amount":100}').toString('base64'),
    );
  });

  describe('415', () => {
    it.each([
      ['text/plain', undefined],
      [undefined, undefined],
      ['application/json; charset=iso-8859-1', undefined],
      ['application/json', 'gzip'],
    ])('refuses Content-Type %s (encoding %s)', async (contentType, contentEncoding) => {
      const enqueuer = fakeEnqueuer();
      const response = await handlers(enqueuer).postCommit(
        request(json(wireCommit()), {
          contentType,
          ...(contentEncoding ? { contentEncoding } : {}),
        }),
      );
      expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(enqueuer.calls).toEqual([]);
    });

    it.each(['application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"'])(
      'accepts %s',
      async (contentType) => {
        const response = await handlers().postCommit(request(json(wireCommit()), { contentType }));
        expect(response.status).toBe(202);
      },
    );

    it('comes before the size check', async () => {
      const response = await handlers().postCommit(
        request('x', { contentType: 'text/plain', contentLength: 10 ** 9 }),
      );
      expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('413 body', () => {
    it('allows a maximal commit as base64 plus JSON', () => {
      expect(singleCommitBodyLimit(1_000_000)).toBe(1_333_334 + 65_536);
    });

    it('refuses a declared Content-Length over the limit without reading the body', async () => {
      const before = bodyReads;
      const limit = singleRequestBodyLimit(CONFIG, 1);
      const response = await handlers().postCommit(
        request(json(wireCommit()), { contentLength: limit + 1 }),
      );
      expectError(response, 413, 'BODY_TOO_LARGE');
      expect(bodyReads).toBe(before);
    });

    it('refuses a chunked body once it grows over the limit', async () => {
      const body = Buffer.alloc(singleCommitBodyLimit(4096) + 1, 0x20);
      const response = await handlers().postCommit(request(body));
      expectError(response, 413, 'BODY_TOO_LARGE');
    });

    it('takes a commit spelled at more length than the room left for JSON, when its length is declared', async () => {
      // A 3,500-byte value in a body padded with 90 KiB of JSON whitespace: its record still fits
      // MAX_COMMIT_BYTES (4,096), as the batch endpoint finds.
      const value = Buffer.alloc(3500, 1).toString('base64');
      const body = Buffer.from(
        `${' '.repeat(90 * 1024)}${JSON.stringify(wireCommit({ siblings: [{ value }] }))}`,
      );
      const roomy = { maxBatchBytes: 1024 * 1024 };
      expect(Buffer.byteLength(body)).toBeGreaterThan(singleCommitBodyLimit(CONFIG.maxCommitBytes));
      const declared = await handlers(fakeEnqueuer(), roomy).postCommit(
        request(body, { contentLength: Buffer.byteLength(body) }),
      );
      expect(declared.status, JSON.stringify(declared.body)).toBe(202);
      // Chunked, its size unknown until read, it keeps the smaller limit.
      expectError(
        await handlers(fakeEnqueuer(), roomy).postCommit(request(body)),
        413,
        'BODY_TOO_LARGE',
      );
    });

    it("counts a single sibling's metadata, which its record carries as headers, against the commit limit", async () => {
      const usermeta = { note: 'n'.repeat(90 * 1024) };
      const value = Buffer.alloc(3500, 1).toString('base64');
      const body = json(wireCommit({ siblings: [{ value, usermeta }] }));
      const response = await handlers(fakeEnqueuer(), { maxBatchBytes: 1024 * 1024 }).postCommit(
        request(body, { contentLength: Buffer.byteLength(body) }),
      );
      expectError(response, 413, 'COMMIT_TOO_LARGE');
    });

    it('limits a batch body to maxBatchBytes', async () => {
      const body = Buffer.alloc(CONFIG.maxBatchBytes + 1, 0x20);
      const response = await handlers().postBatch(request(body));
      expectError(response, 413, 'BODY_TOO_LARGE');
    });
  });

  describe('401', () => {
    const body = json(wireCommit());
    const signedAt = (seconds: number, secret = TEST_SECRET) =>
      signRequest(secret, Buffer.from(body), seconds);

    // Only a MAC needs the body: every other refusal comes before it is read, so that a client
    // without a valid header cannot hold the body budget while it sends a large body slowly.
    it.each([
      ['SIGNATURE_MISSING', undefined, 0],
      ['SIGNATURE_MALFORMED', 't=abc,v1=xyz', 0],
      ['SIGNATURE_EXPIRED', signedAt(NOW / 1000 - 301), 0],
      ['SIGNATURE_EXPIRED', signedAt(NOW / 1000 + 301), 0],
      ['SIGNATURE_INVALID', signedAt(NOW / 1000, OTHER_SECRET), 1],
    ])('answers %s', async (code, signature, reads) => {
      const enqueuer = fakeEnqueuer();
      const before = bodyReads;
      const response = await handlers(enqueuer).postCommit(request(body, { signature }));
      expect(bodyReads - before).toBe(reads);
      const error = expectError(response, 401, code);
      expect(error.message).not.toContain(TEST_SECRET);
      expect(error.message).not.toContain(OTHER_SECRET);
      expect(enqueuer.calls).toEqual([]);
    });

    it('accepts a commit signed anywhere within the replay window, its edges included', async () => {
      for (const skew of [-300, 300]) {
        const response = await handlers().postCommit(
          request(body, { signature: signedAt(NOW / 1000 + skew) }),
        );
        expect(response.status, String(skew)).toBe(202);
      }
    });

    it('accepts either secret during a rotation', async () => {
      const signature = signedAt(NOW / 1000, OTHER_SECRET);
      const response = await handlers(fakeEnqueuer(), {
        secrets: [TEST_SECRET, OTHER_SECRET],
      }).postCommit(request(body, { signature }));
      expect(response.status).toBe(202);
    });

    it('checks the signature on the raw bytes: reformatted JSON does not match', async () => {
      const signature = signedAt(NOW / 1000);
      const response = await handlers().postCommit(
        request(JSON.stringify(wireCommit(), null, 2), { signature }),
      );
      expectError(response, 401, 'SIGNATURE_INVALID');
    });
  });

  describe('400', () => {
    it('answers INVALID_JSON for a body that does not parse, without quoting it', async () => {
      const response = await handlers().postCommit(request('{"key": "secret-value'));
      const error = expectError(response, 400, 'INVALID_JSON', '');
      expect(error.message).not.toContain('secret-value');
    });

    it('answers INVALID_JSON for a body nested deeper than any commit, before it is parsed', async () => {
      const enqueuer = fakeEnqueuer();
      // A commit's deepest value, a batch's index value in its {"base64"} form, is 8 levels in.
      const deep = (levels: number) =>
        `{"bucket":"b","key":"k","op":"put","siblings":[{"value":"","usermeta":` +
        '{"a":'.repeat(levels) +
        '1' +
        '}'.repeat(levels) +
        '}]}';
      const response = await handlers(enqueuer).postCommit(request(deep(MAX_JSON_DEPTH)));
      const error = expectError(response, 400, 'INVALID_JSON', '');
      expect(error.message).toBe(
        `request body nests deeper than ${MAX_JSON_DEPTH} levels (a commit nests about 8)`,
      );
      expect(enqueuer.calls).toHaveLength(0);
      // At the limit it is read, and refused for what it is.
      const within = await handlers(enqueuer).postCommit(request(deep(MAX_JSON_DEPTH - 3)));
      expectError(within, 400, 'INVALID_COMMIT');
    });

    it('answers INVALID_JSON naming a field given twice, which JSON.parse would quietly drop', async () => {
      const body = json(wireCommit());
      const twice = `${body.slice(0, -1)},"op":"delete"}`;
      const response = await handlers().postCommit(request(twice));
      const error = expectError(response, 400, 'INVALID_JSON', 'op');
      expect(error.message).toMatch(/^op: given twice in the same object/);
    });

    it('answers INVALID_JSON naming an index number JSON.parse would round, without quoting it', async () => {
      // 1.0000000000000001 reads as 1, a whole number the schema would take: stored altered.
      const commit = wireCommit({ siblings: [{ value: '', indexes: { amount_int: [7] } }] });
      const body = json(commit).replace('[7]', '[1.0000000000000001]');
      expect(body).toContain('1.0000000000000001');
      const response = await handlers().postCommit(request(body));
      const error = expectError(response, 400, 'INVALID_JSON', 'siblings[0].indexes.amount_int[0]');
      expect(error.message).toMatch(
        /^siblings\[0\]\.indexes\.amount_int\[0\]: a number with more digits/,
      );
      expect(error.message).not.toContain('1.0000000000000001');
    });

    it('answers INVALID_JSON for a body that is not UTF-8', async () => {
      const response = await handlers().postCommit(
        request(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
      );
      expectError(response, 400, 'INVALID_JSON', '');
    });

    it('names the bad field', async () => {
      const withoutKey = wireCommitWithout('key');
      const response = await handlers().postCommit(request(json(withoutKey)));
      const error = expectError(response, 400, 'INVALID_COMMIT', 'key');
      expect(error.message).toContain('key');
    });

    it('names a bad field deep in a sibling', async () => {
      const commit = wireCommit({ siblings: [{ value: 'not base64!' }] });
      const response = await handlers().postCommit(request(json(commit)));
      expectError(response, 400, 'INVALID_COMMIT', 'siblings[0].value');
    });

    it('refuses __proto__ keys, and Object.prototype stays clean', async () => {
      const body = `{"__proto__":{"polluted":"yes"},${json(wireCommit()).slice(1)}`;
      const response = await handlers().postCommit(request(body));
      expectError(response, 400, 'INVALID_COMMIT');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('413 commit', () => {
    it('refuses a commit whose decoded size is over maxCommitBytes, naming its path', async () => {
      const enqueuer = fakeEnqueuer();
      const response = await handlers(enqueuer).postCommit(
        request(json(wireCommitOfSize(CONFIG.maxCommitBytes + 1))),
      );
      expectError(response, 413, 'COMMIT_TOO_LARGE', '');
      expect(enqueuer.calls).toEqual([]);
    });

    it('counts the record Kafka would get: siblings travel base64 in an envelope', async () => {
      // 2 x 1,600 bytes is under the 4,096-byte limit as bytes, over it as an envelope.
      const half = Buffer.alloc(1600, 7).toString('base64');
      const commit = wireCommit({ siblings: [{ value: half }, { value: half }] });
      const enqueuer = fakeEnqueuer();
      expectError(
        await handlers(enqueuer).postCommit(request(json(commit))),
        413,
        'COMMIT_TOO_LARGE',
        '',
      );
      expect(enqueuer.calls).toEqual([]);
    });
  });

  describe('503', () => {
    it('answers QUEUE_UNAVAILABLE with Retry-After 1 when Redis cannot store it', async () => {
      const enqueuer = fakeEnqueuer(
        () => new QueueUnavailableError(new Error('Connection is closed.')),
      );
      const response = await handlers(enqueuer).postCommit(request(json(wireCommit())));
      expectError(response, 503, 'QUEUE_UNAVAILABLE');
      expect(response.headers).toEqual({ 'Retry-After': '1' });
      expect(response.summary).toMatchObject({ accepted: 0, duplicates: 0 });
    });

    it('answers BACKLOG_FULL with Retry-After 5 when the lane is full', async () => {
      const enqueuer = fakeEnqueuer((job) => new BacklogFullError(job.lane, 10, 10));
      const response = await handlers(enqueuer).postCommit(request(json(wireCommit())));
      expectError(response, 503, 'BACKLOG_FULL');
      expect(response.headers).toEqual({ 'Retry-After': '5' });
    });
  });

  it('rejects (a 500 for the wiring) when the enqueuer fails in an unexpected way', async () => {
    const enqueuer = fakeEnqueuer(() => new TypeError('bug'));
    await expect(handlers(enqueuer).postCommit(request(json(wireCommit())))).rejects.toThrow('bug');
  });
});

describe('POST /v1/commits/batch', () => {
  const batch = (commits: unknown[]): string => json({ commits });
  const keys = ['a', 'b', 'c', 'd'];

  it('stores every commit in order and answers one result per commit', async () => {
    const enqueuer = fakeEnqueuer();
    const commits = keys.map((key) => wireCommit({ key }));
    const response = await handlers(enqueuer).postBatch(request(batch(commits)));

    expect(response.status).toBe(202);
    const expected = commits.map((c) => {
      const parsed = parseCommit(c);
      return { id: commitId(parsed), lane: laneOf(parsed, CONFIG.lanes), duplicate: false };
    });
    expect(response.body).toEqual({ results: expected });
    expect(enqueuer.calls.map((j) => j.id)).toEqual(expected.map((r) => r.id));
    expect(response.summary).toEqual({ commits: 4, accepted: 4, duplicates: 0 });
  });

  it('answers duplicates for commits already stored, in their place', async () => {
    const enqueuer = fakeEnqueuer();
    const ingest = handlers(enqueuer);
    await ingest.postCommit(request(json(wireCommit({ key: 'b' }))));
    const response = await ingest.postBatch(request(batch(keys.map((key) => wireCommit({ key })))));
    const results = (response.body as { results: { duplicate: boolean }[] }).results;
    expect(results.map((r) => r.duplicate)).toEqual([false, true, false, false]);
    expect(response.summary).toMatchObject({ accepted: 3, duplicates: 1 });
  });

  it('names the bad commit by its index, and enqueues nothing', async () => {
    const enqueuer = fakeEnqueuer();
    const commits = keys.map((key) => wireCommit({ key }));
    delete commits[2]!.key;
    const response = await handlers(enqueuer).postBatch(request(batch(commits)));
    expectError(response, 400, 'INVALID_COMMIT', 'commits[2].key');
    expect(enqueuer.calls).toEqual([]);
  });

  it('refuses a bad envelope with INVALID_BATCH', async () => {
    expectError(await handlers().postBatch(request(json({ commits: [] }))), 400, 'INVALID_BATCH');
    expectError(await handlers().postBatch(request(json([wireCommit()]))), 400, 'INVALID_BATCH');
  });

  it('refuses the whole batch when one commit is too large, and enqueues nothing', async () => {
    const enqueuer = fakeEnqueuer();
    const commits = [wireCommit({ key: 'a' }), wireCommitOfSize(CONFIG.maxCommitBytes + 1)];
    const response = await handlers(enqueuer).postBatch(request(batch(commits)));
    expectError(response, 413, 'COMMIT_TOO_LARGE', 'commits[1]');
    expect(enqueuer.calls).toEqual([]);
  });

  it('answers 503 for the whole batch when some commits were stored and others refused', async () => {
    const enqueuer = fakeEnqueuer((job, i) =>
      i === 2 ? new BacklogFullError(job.lane, 9, 9) : undefined,
    );
    const response = await handlers(enqueuer).postBatch(
      request(batch(keys.map((key) => wireCommit({ key })))),
    );
    const error = expectError(response, 503, 'BACKLOG_FULL');
    expect(error.message).toContain('1 of 4');
    expect(response.headers).toEqual({ 'Retry-After': '5' });
    expect(response.summary).toMatchObject({ commits: 4, accepted: 3 });

    // The hook retries the batch: the stored ones come back as duplicates.
    enqueuer.refuse = undefined;
    const retry = await handlers(enqueuer).postBatch(
      request(batch(keys.map((key) => wireCommit({ key })))),
    );
    expect(retry.status).toBe(202);
    const results = (retry.body as { results: { duplicate: boolean }[] }).results;
    expect(results.map((r) => r.duplicate)).toEqual([true, true, false, true]);
  });

  it("counts a batch's commits refused after they were stored (replicas behind) as stored", async () => {
    const behind = new ReplicasBehindError('10.0.0.8:6379', 0, { count: 1, timeoutMs: 1000 });
    const enqueuer = fakeEnqueuer((job, i) =>
      i < 2
        ? new QueueUnavailableError(behind, { id: job.id, lane: job.lane, duplicate: false })
        : undefined,
    );
    const response = await handlers(enqueuer).postBatch(
      request(batch(keys.map((key) => wireCommit({ key })))),
    );
    const error = expectError(response, 503, 'QUEUE_UNAVAILABLE');
    expect(error.message).toMatch(/^2 of 4 commits were refused \(/);
    expect(error.message).not.toContain('not stored');
    expect(error.message).toContain('(the 4 stored now will answer as duplicates)');
  });

  it('prefers QUEUE_UNAVAILABLE, with the longest Retry-After, when refusals differ', async () => {
    const enqueuer = fakeEnqueuer((job, i) =>
      i === 0 ? new BacklogFullError(job.lane, 9, 9) : new QueueUnavailableError(new Error('down')),
    );
    const response = await handlers(enqueuer).postBatch(
      request(batch(keys.map((key) => wireCommit({ key })))),
    );
    expectError(response, 503, 'QUEUE_UNAVAILABLE');
    expect(response.headers).toEqual({ 'Retry-After': '5' });
  });

  it("tells a batch's client the code of Redis's failure and keeps its text for the log", async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6379'), {
      code: 'ECONNREFUSED',
    });
    const enqueuer = fakeEnqueuer((_job, i) =>
      i === 1 ? new QueueUnavailableError(down) : undefined,
    );
    const response = await handlers(enqueuer).postBatch(
      request(batch(keys.map((key) => wireCommit({ key })))),
    );
    const error = expectError(response, 503, 'QUEUE_UNAVAILABLE');
    expect(error.message).toBe(
      "1 of 4 commits were refused (the queue cannot store commits now (ECONNREFUSED); the ingest's log has the detail, under this answer's X-Request-Id; 1 not stored); nothing in this answer is accepted: retry the whole batch (the 3 stored now will answer as duplicates)",
    );
    expect(JSON.stringify(response.body)).not.toContain('10.0.0.7');
    // commitlog's own reasons are written for whoever runs the hook, and given whole.
    const unsafe = new CommitlogError('UNSAFE_REDIS', 'maxmemory-policy is allkeys-lru', {
      retriable: false,
    });
    const told = await handlers(fakeEnqueuer(() => new QueueUnavailableError(unsafe))).postCommit(
      request(json(wireCommit())),
    );
    expect(expectError(told, 503, 'QUEUE_UNAVAILABLE').message).toBe(
      'the queue cannot store commits now: maxmemory-policy is allkeys-lru',
    );
    // As they may be told: a Redis node's address is for the log only.
    const behind = new ReplicasBehindError('10.0.0.8:6379', 0, { count: 1, timeoutMs: 1000 });
    const waited = await handlers(fakeEnqueuer(() => new QueueUnavailableError(behind))).postCommit(
      request(json(wireCommit())),
    );
    expect(expectError(waited, 503, 'QUEUE_UNAVAILABLE').message).toBe(
      'the queue cannot store commits now: 0 of the 1 replicas that REDIS_WAIT_REPLICAS asks for acknowledged the store within 1000 ms',
    );
    expect(waited.logMessage).toContain('replicas of 10.0.0.8:6379');
    expect(response.logMessage).toContain(
      '(the queue cannot store commits now: connect ECONNREFUSED 10.0.0.7:6379; 1 not stored)',
    );
  });

  describe('with a budget of body bytes in flight', () => {
    /** Handlers over a 100,000-byte budget of which another request holds 90,000. */
    function mostlyHeldBudget() {
      const budget = createBodyBudget(100_000);
      const enqueuer = fakeEnqueuer();
      const h = createCommitHandlers({
        enqueuer,
        bodyBudget: budget,
        config: CONFIG,
        now: () => NOW,
      });
      const held = budget.open();
      held.grow(90_000);
      return { budget, enqueuer, h, held, body: JSON.stringify(wireCommit()) };
    }

    it('answers 503 with Retry-After before reading the body when the budget is spent', async () => {
      const { budget, enqueuer, h, held, body } = mostlyHeldBudget();
      const readsBefore = bodyReads;
      const busy = await h.postCommit(request(body, { contentLength: 50_000 }));
      expect(busy).toMatchObject({
        status: 503,
        headers: { 'Retry-After': '1' },
        body: { error: { code: 'INGEST_BUSY' } },
      });
      expect(bodyReads).toBe(readsBefore);
      expect(enqueuer.calls).toHaveLength(0);
      // A request that fits goes through, and gives its bytes back when answered.
      const ok = await h.postCommit(request(body, { contentLength: Buffer.byteLength(body) }));
      expect(ok.status).toBe(202);
      expect(budget.inUse()).toBe(90_000);
      held.release();
      expect(budget.inUse()).toBe(0);
    });

    it('answers what no retry can fix (415, a declared 413, 401) before saying it is busy', async () => {
      const { budget, h, held, body } = mostlyHeldBudget();
      const declared = { contentLength: 50_000 };
      expectError(
        await h.postCommit(request(body, { ...declared, contentType: 'text/plain' })),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(
        await h.postCommit(request(body, { contentLength: 100_000_000 })),
        413,
        'BODY_TOO_LARGE',
      );
      expect(
        (await h.postCommit(request(body, { ...declared, signature: undefined }))).status,
      ).toBe(401);
      expectError(await h.postCommit(request(body, declared)), 503, 'INGEST_BUSY');
      held.release();
      expect(budget.inUse()).toBe(0);
    });

    it('charges bytes as they arrive: idle bodies that declared the budget hold none of it', async () => {
      const budget = createBodyBudget(CONFIG.maxBatchBytes + 100);
      const h = createCommitHandlers({
        enqueuer: fakeEnqueuer(),
        bodyBudget: budget,
        config: CONFIG,
        now: () => NOW,
      });
      // Four connections declare a whole batch each and send nothing.
      const idle: CommitRequest = {
        ...request('', { contentLength: CONFIG.maxBatchBytes }),
        readBody: () => new Promise<Uint8Array>(() => undefined),
      };
      for (let i = 0; i < 4; i++) void h.postBatch(idle);
      await new Promise((resolve) => setImmediate(resolve));
      expect(budget.inUse()).toBe(0);
      const body = JSON.stringify(wireCommit());
      const ok = await h.postCommit(request(body, { contentLength: Buffer.byteLength(body) }));
      expect(ok.status).toBe(202);
    });

    it('answers 503 when the bytes that arrive no longer fit, and gives them back', async () => {
      const budget = createBodyBudget(CONFIG.maxBatchBytes);
      const h = createCommitHandlers({
        enqueuer: fakeEnqueuer(),
        bodyBudget: budget,
        config: CONFIG,
        now: () => NOW,
      });
      const body = JSON.stringify({ commits: [wireCommitOfSize(3000)] });
      // Declares little, so it passes the check before reading; another request then takes the
      // budget while its bytes arrive.
      const held = budget.open();
      held.grow(1);
      const small = request(body, { contentLength: 10 });
      const refused = await h.postBatch({
        ...small,
        readBody: (limit, admit) => {
          expect(held.grow(CONFIG.maxBatchBytes - 2)).toBe(true);
          return small.readBody(limit, admit);
        },
      });
      expectError(refused, 503, 'INGEST_BUSY');
      expect(refused.headers).toEqual({ 'Retry-After': '1' });
      held.release();
      expect(budget.inUse()).toBe(0);
    });

    it("charges what a body's values cost parsed, before parsing it: 503 when that does not fit", async () => {
      const { budget, enqueuer, h, held } = mostlyHeldBudget();
      // 2,000 empty objects: 6 KB of body, which fits beside the 90,000 bytes held, and about
      // 110 KB of heap once parsed, which does not.
      const tokens = json({ commits: Array.from({ length: 2000 }, () => ({})) });
      const declared = { contentLength: Buffer.byteLength(tokens) };
      expect(declared.contentLength).toBeLessThan(10_000);
      const busy = await h.postBatch(request(tokens, declared));
      expectError(busy, 503, 'INGEST_BUSY');
      expect(busy.headers).toEqual({ 'Retry-After': '1' });
      expect(enqueuer.calls).toHaveLength(0);
      expect(budget.inUse()).toBe(90_000);
      // Alone, it always proceeds (and is refused for what it is), giving everything back.
      held.release();
      expectError(await h.postBatch(request(tokens, declared)), 400, 'INVALID_BATCH');
      expect(budget.inUse()).toBe(0);
      // A commit's usual body is charged its bytes: its values cost less than they take.
      const body = json(wireCommit());
      expect(countJsonValues(Buffer.from(body)) * VALUE_BUDGET_BYTES).toBeLessThan(
        Buffer.byteLength(body),
      );
    });

    it('counts a body that declares no length as its endpoint’s whole limit, and frees it on errors', async () => {
      const budget = createBodyBudget(CONFIG.maxBatchBytes);
      const h = createCommitHandlers({
        enqueuer: fakeEnqueuer(),
        bodyBudget: budget,
        config: CONFIG,
        now: () => NOW,
      });
      const held = budget.open();
      held.grow(1);
      // Undeclared: counts as the batch limit (64 KiB), which does not fit beside 1 byte.
      const busy = await h.postBatch(request(JSON.stringify({ commits: [wireCommit()] })));
      expect(busy.status).toBe(503);
      held.release();
      // Alone, it always proceeds; a refused request (401 here) gives its bytes back too.
      const refused = await h.postBatch(request('{"commits": []}', { signature: 'bogus' }));
      expect(refused.status).toBe(401);
      expect(budget.inUse()).toBe(0);
    });
  });
});

// Only a request whose signature checked out has its User-Agent counted as a hook's (the header
// is the client's to say anything): every answer after the check says so, refusals included.
describe('the answer says whether the signature checked out', () => {
  const commit = json(wireCommit());
  const batch = json({ commits: [wireCommit()] });

  it.each([
    ['a stored commit (202)', () => handlers().postCommit(request(commit)), 202],
    ['a stored batch (202)', () => handlers().postBatch(request(batch)), 202],
    ['a commit that breaks the schema (400)', () => handlers().postCommit(request('{}')), 400],
    ['a batch that breaks the schema (400)', () => handlers().postBatch(request('[]')), 400],
    ['a body that is not JSON (400)', () => handlers().postCommit(request('{')), 400],
    [
      'a commit Redis cannot store (503)',
      () =>
        handlers(fakeEnqueuer(() => new QueueUnavailableError(new Error('down')))).postCommit(
          request(commit),
        ),
      503,
    ],
  ])('signed: %s', async (_case, answer, status) => {
    const response = await answer();
    expect(response.status).toBe(status);
    expect(response.signed).toBe(true);
  });

  it.each([
    ['no signature (401)', () => handlers().postCommit(request(commit, { signature: undefined }))],
    [
      'a signature by another secret (401)',
      () =>
        handlers().postBatch(
          request(batch, { signature: signRequest(OTHER_SECRET, Buffer.from(batch), NOW / 1000) }),
        ),
    ],
    [
      'another media type (415)',
      () => handlers().postCommit(request(commit, { contentType: 'text/plain' })),
    ],
    [
      'a declared body over the limit (413)',
      () => handlers().postBatch(request(batch, { contentLength: CONFIG.maxBatchBytes + 1 })),
    ],
  ])('not signed: %s', async (_case, answer) => {
    const response = await answer();
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.signed).toBeUndefined();
  });
});
