import { describe, expect, it } from 'vitest';
import { batchSchema, commitSchema, riakBinarySchema, siblingSchema } from './commit-schema.ts';
import { DESIGN_EXAMPLE_JSON, designExample } from './fixtures/design-example.ts';

const minimalPut = { bucket: 'b', key: 'k', op: 'put', siblings: [{ value: '' }] };

describe('commitSchema', () => {
  it('parses the DESIGN example', () => {
    const commit = commitSchema.parse(JSON.parse(DESIGN_EXAMPLE_JSON));
    expect(commit).toEqual({
      bucketType: 'default',
      bucket: 'transactions',
      key: 'txn-123',
      op: 'put',
      vclock: 'a85hYGBgzGDKBVIcypz/fgaUHjmdwZTImMfKwPSw',
      siblings: [
        {
          value: 'eyJhbW91bnQiOjEwMH0=',
          contentType: 'application/json',
          vtag: '6dGz2BZ3yRlKBkhwVu1Sju',
          lastModified: '2026-11-24T12:00:00.123456Z',
          usermeta: { origin: 'api' },
          indexes: { customer_bin: ['c-9'] },
        },
      ],
    });
  });

  it('defaults the bucket type to "default" and the siblings to none', () => {
    const commit = commitSchema.parse({ bucket: 'b', key: 'k', op: 'delete' });
    expect(commit.bucketType).toBe('default');
    expect(commit.siblings).toEqual([]);
    // Each parse gets its own array.
    commit.siblings.push({ value: '' });
    expect(commitSchema.parse({ bucket: 'b', key: 'k', op: 'delete' }).siblings).toEqual([]);
  });

  it('takes binaries in either form and empty values', () => {
    const commit = commitSchema.parse({
      bucketType: { base64: '//4=' },
      bucket: { base64: 'YQ==' },
      key: 'k',
      op: 'put',
      siblings: [{ value: '' }, { value: 'AAEC' }],
    });
    expect(commit.bucketType).toEqual({ base64: '//4=' });
    expect(commit.siblings).toHaveLength(2);
  });

  it('lets a delete carry its tombstone sibling', () => {
    expect(commitSchema.safeParse({ ...minimalPut, op: 'delete' }).success).toBe(true);
  });

  it('refuses a put without siblings, and an empty vclock', () => {
    expect(commitSchema.safeParse({ ...minimalPut, siblings: [] }).success).toBe(false);
    expect(commitSchema.safeParse({ ...minimalPut, vclock: '' }).success).toBe(false);
  });
});

describe('riakBinarySchema', () => {
  it('refuses empty binaries in either form', () => {
    expect(riakBinarySchema.safeParse('').success).toBe(false);
    expect(riakBinarySchema.safeParse({ base64: '' }).success).toBe(false);
  });

  it('refuses strings that UTF-8 cannot hold (lone surrogates)', () => {
    const loneSurrogate = JSON.parse('"k\\ud800"') as string;
    expect(riakBinarySchema.safeParse(loneSurrogate).success).toBe(false);
    expect(riakBinarySchema.safeParse('k\ud83d\ude00').success).toBe(true); // a real pair
  });

  it('refuses non-canonical base64 and extra keys', () => {
    for (const bad of [
      { base64: '!!' },
      { base64: 'YQ' },
      { base64: 'QR==' },
      { base64: 'YQ==', extra: 1 },
      {},
      [],
      42,
      null,
    ]) {
      expect(riakBinarySchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('siblingSchema', () => {
  it('accepts ISO-8601 times with up to six fraction digits and an offset', () => {
    for (const lastModified of [
      '2026-11-24T12:00:00Z',
      '2026-11-24T12:00:00.1Z',
      '2026-11-24T12:00:00.123456Z',
      '2026-11-24T12:00:00.123456+02:00',
      '2028-02-29T23:59:59-11:30',
    ]) {
      expect(siblingSchema.safeParse({ value: '', lastModified }).success, lastModified).toBe(true);
    }
  });

  it('refuses times that are not ISO-8601 or do not exist', () => {
    for (const lastModified of [
      '2026-11-24',
      '2026-11-24T12:00Z',
      '2026-11-24T12:00:00',
      '2026-11-24T12:00:00.1234567Z',
      '2026-11-24 12:00:00Z',
      '2026-02-30T12:00:00Z',
      '2027-02-29T12:00:00Z',
      '2026-13-01T12:00:00Z',
      '2026-11-24T24:00:00Z',
      '2026-11-24T12:00:60Z',
      '2026-11-24T12:00:00+24:00',
      'Tue, 24 Nov 2026 12:00:00 GMT',
    ]) {
      expect(siblingSchema.safeParse({ value: '', lastModified }).success, lastModified).toBe(
        false,
      );
    }
  });

  it('takes string and integer index values, not fractions, unsafe integers or booleans', () => {
    const ok = { value: '', indexes: { a_bin: ['x', ''], b_int: [1, -5, 2 ** 53 - 1] } };
    expect(siblingSchema.safeParse(ok).success).toBe(true);
    for (const bad of [1.5, 2 ** 53, true, null, ['x']]) {
      const result = siblingSchema.safeParse({ value: '', indexes: { b_int: [bad] } });
      expect(result.success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('is strict about unknown fields', () => {
    expect(siblingSchema.safeParse({ value: '', metadata: {} }).success).toBe(false);
  });

  it("takes a value's content encoding as a metadata text, in either form", () => {
    expect(siblingSchema.parse({ value: '', contentEncoding: 'gzip' })).toEqual({
      value: '',
      contentEncoding: 'gzip',
    });
    expect(siblingSchema.parse({ value: '', contentEncoding: { base64: 'Z3r/' } })).toEqual({
      value: '',
      contentEncoding: { base64: 'Z3r/' },
    });
    for (const bad of [1, null, ['gzip'], { base64: 'not base64!' }]) {
      const result = siblingSchema.safeParse({ value: '', contentEncoding: bad });
      expect(result.success, JSON.stringify(bad)).toBe(false);
      expect(result.error?.issues[0]?.path[0]).toBe('contentEncoding');
    }
  });

  it('takes deleted: true for a tombstone sibling, and no other value', () => {
    expect(siblingSchema.parse({ value: '', deleted: true })).toEqual({ value: '', deleted: true });
    expect(siblingSchema.parse({ value: '' })).not.toHaveProperty('deleted');
    for (const bad of [false, 'true', 1, null, {}]) {
      const result = siblingSchema.safeParse({ value: '', deleted: bad });
      expect(result.success, JSON.stringify(bad)).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(['deleted']);
      expect(result.error?.issues[0]?.message).toBe(
        'must be true when present (omit it for a sibling that is not a tombstone)',
      );
    }
  });
});

describe('prototype pollution', () => {
  it('keeps a usermeta or index named "__proto__" as an own entry, and pollutes nothing', () => {
    // Riak takes any usermeta name: a commit it took must be deliverable.
    const sibling = siblingSchema.parse(
      JSON.parse(
        '{"value": "", "usermeta": {"a": "1", "__proto__": "x", "b": "2"}, "indexes": {"__proto__": ["yes"]}}',
      ),
    );
    expect(Object.getPrototypeOf(sibling.usermeta)).toBe(Object.prototype);
    expect(Object.entries(sibling.usermeta ?? {})).toEqual([
      ['a', '1'],
      ['__proto__', 'x'],
      ['b', '2'],
    ]);
    expect(JSON.stringify(sibling.usermeta)).toBe('{"a":"1","__proto__":"x","b":"2"}');
    expect(JSON.stringify(sibling.indexes)).toBe('{"__proto__":["yes"]}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('checks a "__proto__" entry as any other, naming it in the path', () => {
    const polluting = JSON.parse(
      '{"value": "", "indexes": {"__proto__": {"polluted": ["yes"]}}}',
    ) as unknown;
    const wrongValue = JSON.parse('{"value": "", "usermeta": {"__proto__": 5}}') as unknown;
    for (const [input, path] of [
      [polluting, ['indexes', '__proto__']],
      [wrongValue, ['usermeta', '__proto__']],
    ] as const) {
      const result = siblingSchema.safeParse(input);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(path);
    }
    const both = JSON.parse(
      '{"value": "", "usermeta": {"__proto__": "x", "\\ud800": "y"}}',
    ) as unknown;
    expect(siblingSchema.safeParse(both).error?.issues[0]?.code).toBe('invalid_key');
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('keeps "constructor" and "prototype" as plain own properties', () => {
    const input = JSON.parse(
      '{"value": "", "usermeta": {"constructor": "c", "prototype": "p", "toString": "t"}}',
    ) as unknown;
    const sibling = siblingSchema.parse(input);
    expect(Object.getPrototypeOf(sibling.usermeta)).toBe(Object.prototype);
    expect(Object.keys(sibling.usermeta ?? {})).toEqual(['constructor', 'prototype', 'toString']);
    expect(sibling.usermeta?.constructor).toBe('c');
    expect({}.constructor).toBe(Object);
  });

  it('refuses "__proto__" as a top-level field', () => {
    const input = JSON.parse(
      '{"bucket": "b", "key": "k", "op": "delete", "__proto__": {}}',
    ) as unknown;
    expect(commitSchema.safeParse(input).success).toBe(false);
  });
});

describe('batchSchema', () => {
  it('holds 1 to 1,000 commits', () => {
    const commit = designExample();
    expect(batchSchema.safeParse({ commits: [commit] }).success).toBe(true);
    expect(batchSchema.safeParse({ commits: Array(1000).fill(commit) }).success).toBe(true);
    expect(batchSchema.safeParse({ commits: [] }).success).toBe(false);
    expect(batchSchema.safeParse({ commits: Array(1001).fill(commit) }).success).toBe(false);
    expect(batchSchema.safeParse({ commits: [commit], more: true }).success).toBe(false);
  });
});
