import { describe, expect, it } from 'vitest';
import type { Commit, Sibling } from './commit-schema.ts';
import { designExample } from './fixtures/design-example.ts';
import { parseCommit } from './parse-commit.ts';
import { ENVELOPE_CONTENT_TYPE, toKafkaRecord } from './record-mapping.ts';

const meta = { id: 'a'.repeat(64), receivedAt: '2026-11-24T12:00:01.000Z' };
const plain = { topic: 'riak.default.transactions', envelope: false };
const enveloped = { topic: 'ledger', envelope: true };
const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
const utf8 = (bytes: Uint8Array | string | null | undefined) =>
  typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes ?? new Uint8Array());

const example = parseCommit(designExample());

describe('toKafkaRecord', () => {
  it('maps a put with one sibling to its exact bytes and every header', () => {
    const record = toKafkaRecord(example, meta, plain);
    expect(record.topic).toBe('riak.default.transactions');
    expect(record.key).toEqual(new TextEncoder().encode('txn-123'));
    expect(utf8(record.value)).toBe('{"amount":100}');
    expect(record.headers).toEqual({
      'riak-op': 'put',
      'riak-bucket-type': new TextEncoder().encode('default'),
      'riak-bucket': new TextEncoder().encode('transactions'),
      'riak-vclock': 'a85hYGBgzGDKBVIcypz/fgaUHjmdwZTImMfKwPSw',
      'riak-vtag': '6dGz2BZ3yRlKBkhwVu1Sju',
      'riak-last-modified': '2026-11-24T12:00:00.123456Z',
      'content-type': 'application/json',
      'riak-usermeta': '{"origin":"api"}',
      'riak-indexes': '{"customer_bin":["c-9"]}',
      'riak-siblings': '1',
      'commitlog-id': meta.id,
      'commitlog-received-at': meta.receivedAt,
    });
  });

  it('carries metadata bytes that are not UTF-8 as those bytes in headers, as posted in JSON', () => {
    const [sibling] = example.siblings;
    const record = toKafkaRecord(
      {
        ...example,
        siblings: [
          {
            ...sibling!,
            contentType: { base64: Buffer.from([0x61, 0xc8]).toString('base64') },
            vtag: { base64: Buffer.from([0x74, 0xff]).toString('base64') },
            usermeta: { raw: { base64: '+gE=' } },
          },
        ],
      },
      meta,
      plain,
    );
    const bytes = (value: string | Uint8Array | undefined) =>
      typeof value === 'object' ? Buffer.from(value) : value;
    expect(bytes(record.headers['content-type'])).toEqual(Buffer.from([0x61, 0xc8]));
    expect(bytes(record.headers['riak-vtag'])).toEqual(Buffer.from([0x74, 0xff]));
    expect(record.headers['riak-usermeta']).toBe('{"raw":{"base64":"+gE="}}');
    // Several vtags, one of them bytes: joined as bytes.
    const two = toKafkaRecord(
      {
        ...example,
        siblings: [
          { ...sibling!, vtag: 'a' },
          { ...sibling!, vtag: { base64: Buffer.from([0xff]).toString('base64') } },
        ],
      },
      meta,
      plain,
    );
    expect(bytes(two.headers['riak-vtag'])).toEqual(Buffer.from([0x61, 0x2c, 0xff]));
  });

  it('carries user metadata and index entries as posted, integers and big ones as text', () => {
    const record = toKafkaRecord(
      {
        bucketType: 'default',
        bucket: 'b',
        key: 'k',
        op: 'put',
        siblings: [
          {
            value: '',
            usermeta: { origin: 'api', 'x-ünï': 'wert' },
            indexes: { amount_int: [100, '90071992547409930'], customer_bin: ['c-9'] },
          },
        ],
      },
      meta,
      plain,
    );
    expect(JSON.parse(utf8(record.headers['riak-usermeta']))).toEqual({
      origin: 'api',
      'x-ünï': 'wert',
    });
    expect(JSON.parse(utf8(record.headers['riak-indexes']))).toEqual({
      amount_int: [100, '90071992547409930'],
      customer_bin: ['c-9'],
    });
  });

  it('sends no metadata headers for a sibling without any, or with empty maps', () => {
    const bare = toKafkaRecord(
      { bucketType: 'default', bucket: 'b', key: 'k', op: 'put', siblings: [{ value: '' }] },
      meta,
      plain,
    );
    const empty = toKafkaRecord(
      {
        bucketType: 'default',
        bucket: 'b',
        key: 'k',
        op: 'put',
        siblings: [{ value: '', usermeta: {}, indexes: {} }],
      },
      meta,
      plain,
    );
    for (const record of [bare, empty]) {
      expect(Object.keys(record.headers)).not.toContain('riak-usermeta');
      expect(Object.keys(record.headers)).not.toContain('riak-indexes');
    }
  });

  it('keeps bytes exact: keys, buckets and values that are not UTF-8', () => {
    const commit: Commit = {
      bucketType: { base64: '//4=' },
      bucket: { base64: 'gA==' },
      key: { base64: Buffer.from(allBytes).toString('base64') },
      op: 'put',
      siblings: [{ value: Buffer.from(allBytes).toString('base64') }],
    };
    const record = toKafkaRecord(commit, meta, plain);
    expect(record.key).toEqual(allBytes);
    expect(record.value).toEqual(allBytes);
    expect(record.headers['riak-bucket-type']).toEqual(Uint8Array.of(0xff, 0xfe));
    expect(record.headers['riak-bucket']).toEqual(Uint8Array.of(0x80));
    expect(record.headers).not.toHaveProperty('content-type');
    expect(record.headers).not.toHaveProperty('riak-vclock');
    expect(record.headers).not.toHaveProperty('riak-vtag');
    expect(record.headers).not.toHaveProperty('riak-last-modified');
  });

  it('sends an empty value as zero bytes, not a tombstone', () => {
    const record = toKafkaRecord({ ...example, siblings: [{ value: '' }] }, meta, plain);
    expect(record.value).toEqual(new Uint8Array(0));
  });

  it('maps a delete to a tombstone without content type', () => {
    const record = toKafkaRecord({ ...example, op: 'delete', siblings: [] }, meta, plain);
    expect(record.value).toBeNull();
    expect(record.key).toEqual(new TextEncoder().encode('txn-123'));
    expect(record.headers['riak-op']).toBe('delete');
    expect(record.headers['riak-siblings']).toBe('0');
    expect(record.headers).not.toHaveProperty('content-type');
    expect(record.headers['riak-vclock']).toBe(example.vclock);
  });

  it("keeps a tombstone sibling's metadata in the headers, and the value null, even enveloped", () => {
    const tombstone: Sibling = { value: '', vtag: 'v1', lastModified: '2026-11-24T13:00:00Z' };
    const record = toKafkaRecord(
      { ...example, op: 'delete', siblings: [tombstone] },
      meta,
      enveloped,
    );
    expect(record.value).toBeNull();
    expect(record.headers['riak-vtag']).toBe('v1');
    expect(record.headers['riak-last-modified']).toBe('2026-11-24T13:00:00Z');
    expect(record.headers).not.toHaveProperty('content-type');
  });

  it("says a value's content encoding: in a header for its own bytes, in the envelope beside its content type", () => {
    const gzip: Sibling = { ...example.siblings[0]!, contentEncoding: 'gzip' };
    const own = toKafkaRecord({ ...example, siblings: [gzip] }, meta, plain);
    expect(own.headers['content-encoding']).toBe('gzip');
    expect(own.headers['content-type']).toBe('application/json');
    const notUtf8 = toKafkaRecord(
      { ...example, siblings: [{ ...gzip, contentEncoding: { base64: 'Z3r/' } }] },
      meta,
      plain,
    );
    expect(Buffer.from(notUtf8.headers['content-encoding'] as Uint8Array)).toEqual(
      Buffer.from('Z3r/', 'base64'),
    );
    expect(toKafkaRecord(example, meta, plain).headers).not.toHaveProperty('content-encoding');

    const siblings: Sibling[] = [{ value: 'AAE=', contentType: 'a/b', contentEncoding: 'gzip' }];
    const record = toKafkaRecord({ ...example, siblings }, meta, enveloped);
    // The envelope's own bytes are not encoded: no header says they are.
    expect(record.headers).not.toHaveProperty('content-encoding');
    expect(utf8(record.value)).toBe(
      '{"format":"commitlog.siblings.v1","siblings":[' +
        '{"value":"AAE=","contentType":"a/b","contentEncoding":"gzip"}]}',
    );
  });

  it('envelopes several siblings, every one of them, in order', () => {
    const siblings: Sibling[] = [
      { value: 'AAE=', vtag: 'v1', lastModified: '2026-11-24T12:00:00.9Z', contentType: 'a/b' },
      { value: '', vtag: 'v2', lastModified: '2026-11-24T12:00:01Z' },
      { value: '//4=', usermeta: { constructor: 'x' }, indexes: { n_int: [1, -2], s_bin: ['z'] } },
    ];
    const record = toKafkaRecord({ ...example, siblings }, meta, plain);
    expect(JSON.parse(utf8(record.value))).toEqual({
      format: 'commitlog.siblings.v1',
      siblings: [
        { value: 'AAE=', contentType: 'a/b', vtag: 'v1', lastModified: '2026-11-24T12:00:00.9Z' },
        { value: '', vtag: 'v2', lastModified: '2026-11-24T12:00:01Z' },
        {
          value: '//4=',
          usermeta: { constructor: 'x' },
          indexes: { n_int: [1, -2], s_bin: ['z'] },
        },
      ],
    });
    expect(record.headers['content-type']).toBe(ENVELOPE_CONTENT_TYPE);
    expect(record.headers['riak-siblings']).toBe('3');
    expect(record.headers['riak-vtag']).toBe('v1,v2');
    // The latest by time, not by text ("12:00:00.9Z" sorts after "12:00:01Z" as text).
    expect(record.headers['riak-last-modified']).toBe('2026-11-24T12:00:01Z');
  });

  it('envelopes a single sibling when the route asks for it', () => {
    const record = toKafkaRecord(example, meta, enveloped);
    expect(record.topic).toBe('ledger');
    // The envelope holds the metadata; it is not repeated in headers.
    expect(Object.keys(record.headers)).not.toContain('riak-usermeta');
    expect(Object.keys(record.headers)).not.toContain('riak-indexes');
    expect(record.headers['content-type']).toBe(ENVELOPE_CONTENT_TYPE);
    expect(JSON.parse(utf8(record.value))).toEqual({
      format: 'commitlog.siblings.v1',
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

  it('marks a tombstone sibling of a put with deleted: true, last, in the envelope', () => {
    const siblings: Sibling[] = [
      { value: 'AAE=', vtag: 'v1', contentType: 'a/b' },
      { value: '', vtag: 't1', lastModified: '2026-11-24T12:00:01Z', deleted: true },
    ];
    const record = toKafkaRecord({ ...example, siblings }, meta, plain);
    expect(record.headers['content-type']).toBe(ENVELOPE_CONTENT_TYPE);
    // Exact text: the fixed field order, deleted last, and nothing on the live sibling.
    expect(utf8(record.value)).toBe(
      '{"format":"commitlog.siblings.v1","siblings":[' +
        '{"value":"AAE=","contentType":"a/b","vtag":"v1"},' +
        '{"value":"","vtag":"t1","lastModified":"2026-11-24T12:00:01Z","deleted":true}]}',
    );
  });

  it('envelopes a put whose single sibling is a tombstone, even on a route without envelope', () => {
    const tombstone: Sibling = { value: '', vtag: 't1', usermeta: { a: 'b' }, deleted: true };
    for (const route of [plain, enveloped]) {
      const record = toKafkaRecord({ ...example, siblings: [tombstone] }, meta, route);
      expect(record.headers['riak-op']).toBe('put');
      expect(record.headers['content-type']).toBe(ENVELOPE_CONTENT_TYPE);
      expect(record.headers['riak-siblings']).toBe('1');
      expect(record.headers).not.toHaveProperty('riak-usermeta');
      expect(JSON.parse(utf8(record.value))).toEqual({
        format: 'commitlog.siblings.v1',
        siblings: [{ value: '', vtag: 't1', usermeta: { a: 'b' }, deleted: true }],
      });
    }
    // A live empty value stays zero bytes.
    const live = toKafkaRecord({ ...example, siblings: [{ value: '' }] }, meta, plain);
    expect(live.value).toEqual(new Uint8Array(0));
  });

  it('compares last-modified times across offsets', () => {
    const siblings: Sibling[] = [
      { value: '', lastModified: '2026-11-24T13:30:00+02:00' }, // 11:30Z
      { value: '', lastModified: '2026-11-24T12:00:00Z' },
    ];
    const record = toKafkaRecord({ ...example, siblings }, meta, plain);
    expect(record.headers['riak-last-modified']).toBe('2026-11-24T12:00:00Z');
  });
});
