import { describe, expect, it } from 'vitest';
import { DESIGN_ABBREVIATED_VCLOCK, designExample } from './fixtures/design-example.ts';
import { parseBatch, parseCommit } from './parse-commit.ts';
import { toKafkaRecord } from './record-mapping.ts';
import { ValidationError } from './validation-error.ts';

/** The ValidationError `fn` throws (failing the test when it throws nothing or something else). */
function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

function commitWith(change: (c: Record<string, unknown>) => void): Record<string, unknown> {
  const commit = designExample();
  change(commit);
  return commit;
}

function firstSibling(commit: Record<string, unknown>): Record<string, unknown> {
  return (commit.siblings as Record<string, unknown>[])[0]!;
}

describe('parseCommit', () => {
  it('returns the commit with its defaults', () => {
    const commit = parseCommit(commitWith((c) => delete c.bucketType));
    expect(commit.bucketType).toBe('default');
    expect(commit.key).toBe('txn-123');
  });

  it.each([
    ['a missing key', (c: Record<string, unknown>) => delete c.key, 'key', 'is required'],
    [
      'an empty bucket',
      (c: Record<string, unknown>) => (c.bucket = ''),
      'bucket',
      'must not be empty',
    ],
    [
      'a bad op',
      (c: Record<string, unknown>) => (c.op = 'update'),
      'op',
      'must be "put" or "delete"',
    ],
    [
      'a put with no siblings',
      (c: Record<string, unknown>) => (c.siblings = []),
      'siblings',
      'a put needs at least one sibling',
    ],
    [
      'a value that is not base64',
      (c: Record<string, unknown>) => (firstSibling(c).value = 'not base64!'),
      'siblings[0].value',
      'not valid base64',
    ],
    [
      'a key of {"base64": "!!"}',
      (c: Record<string, unknown>) => (c.key = { base64: '!!' }),
      'key.base64',
      'not valid base64',
    ],
    [
      "DESIGN's abbreviated vclock",
      (c: Record<string, unknown>) => (c.vclock = DESIGN_ABBREVIATED_VCLOCK),
      'vclock',
      'not valid base64',
    ],
    [
      'an unknown field',
      (c: Record<string, unknown>) => (c.bucket_type = 'default'),
      'bucket_type',
      'unknown field',
    ],
    [
      'an unknown sibling field',
      (c: Record<string, unknown>) => (firstSibling(c).meta = {}),
      'siblings[0].meta',
      'unknown field',
    ],
    [
      'a key of the wrong type',
      (c: Record<string, unknown>) => (c.key = 42),
      'key',
      'expected a non-empty string or {"base64": "..."}',
    ],
    [
      'siblings that are not an array',
      (c: Record<string, unknown>) => (c.siblings = { value: '' }),
      'siblings',
      'expected an array, got an object',
    ],
    [
      'a usermeta value that is not a string',
      (c: Record<string, unknown>) => (firstSibling(c).usermeta = { 'x-origin': 7 }),
      'siblings[0].usermeta["x-origin"]',
      'expected a string or {"base64": "..."}',
    ],
    [
      'a usermeta value of {"base64": "!!"}',
      (c: Record<string, unknown>) => (firstSibling(c).usermeta = { raw: { base64: '!!' } }),
      'siblings[0].usermeta.raw.base64',
      'not valid base64',
    ],
    [
      'a usermeta name with a lone surrogate',
      (c: Record<string, unknown>) =>
        (firstSibling(c).usermeta = { [JSON.parse('"x\\ud800"') as string]: 'v' }),
      'siblings[0].usermeta["x\\ud800"]',
      'is not well-formed Unicode (it holds a lone surrogate)',
    ],
    [
      'an index value that is a fraction',
      (c: Record<string, unknown>) => (firstSibling(c).indexes = { amount_int: [1.5] }),
      'siblings[0].indexes.amount_int[0]',
      'expected a string, {"base64": "..."} or an integer within ±(2^53-1) (send larger ones as strings)',
    ],
    [
      'an index value past 2^53',
      (c: Record<string, unknown>) => (firstSibling(c).indexes = { amount_int: [2 ** 53] }),
      'siblings[0].indexes.amount_int[0]',
      'expected a string, {"base64": "..."} or an integer within ±(2^53-1) (send larger ones as strings)',
    ],
    [
      'deleted: false',
      (c: Record<string, unknown>) => (firstSibling(c).deleted = false),
      'siblings[0].deleted',
      'must be true when present (omit it for a sibling that is not a tombstone)',
    ],
    [
      'deleted: "true" (a string)',
      (c: Record<string, unknown>) => (firstSibling(c).deleted = 'true'),
      'siblings[0].deleted',
      'must be true when present (omit it for a sibling that is not a tombstone)',
    ],
    [
      'a lastModified that is not ISO-8601',
      (c: Record<string, unknown>) => (firstSibling(c).lastModified = '24/11/2026'),
      'siblings[0].lastModified',
      'expected an ISO-8601 time such as 2026-11-24T12:00:00.123456Z',
    ],
  ])('refuses %s, naming the field', (_, change, path, reason) => {
    const error = refusal(() => parseCommit(commitWith(change)));
    expect(error.code).toBe('INVALID_COMMIT');
    expect(error.retriable).toBe(false);
    expect(error.path).toBe(path);
    expect(error.reason).toBe(reason);
    expect(error.message).toBe(`${path}: ${reason}`);
  });

  it.each([
    ['an array', [], 'expected an object, got an array'],
    ['null', null, 'expected an object, got null'],
    ['a string', 'txn-123', 'expected an object, got a string'],
    ['nothing', undefined, 'expected an object, got nothing'],
  ])('refuses a body that is %s, at the root', (_, body, message) => {
    const error = refusal(() => parseCommit(body));
    expect(error.path).toBe('');
    expect(error.message).toBe(message);
  });

  it('reports the first problem only', () => {
    const error = refusal(() =>
      parseCommit({ bucket: '', key: 42, op: 'nope', siblings: [{ value: '!' }] }),
    );
    expect(error.path).toBe('bucket');
  });

  it('never echoes a value in its message', () => {
    const secret = 'PAN-4111111111111111';
    const bad = [
      commitWith((c) => (firstSibling(c).value = secret)),
      commitWith((c) => (c.key = { base64: secret })),
      commitWith((c) => (firstSibling(c).usermeta = { card: 4111111111111111.5 })),
      commitWith((c) => (c.op = secret)),
    ];
    for (const input of bad) {
      const error = refusal(() => parseCommit(input));
      expect(error.message).not.toContain('4111');
    }
  });

  it('cuts absurdly long field names in paths', () => {
    const error = refusal(() => parseCommit(commitWith((c) => (c['x'.repeat(10_000)] = 1))));
    expect(error.path).toBe(`["${'x'.repeat(64)}…"]`);
  });

  it('keeps a usermeta named "__proto__", and its record carries it', () => {
    const input = JSON.parse(
      `{"bucket": "b", "key": "k", "op": "put", "siblings": [{"value": "", "usermeta": {"__proto__": "x"}}]}`,
    ) as unknown;
    const commit = parseCommit(input);
    expect(JSON.stringify(commit.siblings[0]?.usermeta)).toBe('{"__proto__":"x"}');
    // As the queue stores it and the worker reads it back.
    const stored = JSON.parse(JSON.stringify(commit)) as typeof commit;
    const record = toKafkaRecord(
      stored,
      { id: 'a'.repeat(64), receivedAt: '2026-11-24T12:00:01.000Z' },
      { topic: 't', envelope: false },
    );
    expect(String(record.headers['riak-usermeta'])).toBe('{"__proto__":"x"}');
    expect(Object.prototype).not.toHaveProperty('x');
  });
});

describe('parseBatch', () => {
  it('returns the commits in order', () => {
    const commits = parseBatch({
      commits: [designExample(), commitWith((c) => (c.key = 'txn-124'))],
    });
    expect(commits.map((c) => c.key)).toEqual(['txn-123', 'txn-124']);
  });

  it.each([
    ['0 commits', { commits: [] }, 'commits', 'must hold at least one commit'],
    [
      '1,001 commits',
      { commits: Array.from({ length: 1001 }, designExample) },
      'commits',
      'must hold at most 1000 commits',
    ],
    ['no commits field', {}, 'commits', 'is required'],
    [
      'commits that are not an array',
      { commits: {} },
      'commits',
      'expected an array, got an object',
    ],
    ['an unknown field', { commits: [designExample()], x: 1 }, 'x', 'unknown field'],
    ['a body that is an array', [designExample()], '', 'expected an object, got an array'],
  ])('refuses %s as INVALID_BATCH', (_, body, path, reason) => {
    const error = refusal(() => parseBatch(body));
    expect(error.code).toBe('INVALID_BATCH');
    expect(error.path).toBe(path);
    expect(error.reason).toBe(reason);
  });

  it('names the bad commit, deep inside', () => {
    const commits = Array.from({ length: 4 }, designExample);
    firstSibling(commits[2]!).usermeta = { origin: ['api'] };
    const error = refusal(() => parseBatch({ commits }));
    expect(error.code).toBe('INVALID_COMMIT');
    expect(error.path).toBe('commits[2].siblings[0].usermeta.origin');
    expect(error.message).toBe(
      'commits[2].siblings[0].usermeta.origin: expected a string or {"base64": "..."}',
    );
  });

  it('names a commit that is not an object', () => {
    const error = refusal(() => parseBatch({ commits: [designExample(), 'x'] }));
    expect(error.path).toBe('commits[1]');
    expect(error.message).toBe('commits[1]: expected an object, got a string');
  });
});
