/**
 * Poison and hostile requests for the ingest (row 10), each with the 4xx it must be refused with.
 * Bodies are built to pass every check but the one they break, so each case proves one refusal.
 */
import { signRequest, SIGNATURE_HEADER } from '@commitlog/core';
import { putCommit } from '@commitlog/testkit';

export interface HostileRequest {
  name: string;
  path: '/v1/commits' | '/v1/commits/batch';
  headers: Record<string, string>;
  body: Buffer;
  /** The statuses it may be refused with. */
  expect: number[];
}

const MB = 1024 * 1024;

/** Builds the hostile requests for an ingest signing with `secret`, on `bucket`. */
export function hostileRequests(secret: string, bucket: string): HostileRequest[] {
  const now = () => Date.now() / 1000;
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const valid = () => putCommit({ bucket, key: 'hostile' });
  const signed = (
    name: string,
    body: Buffer,
    expect: number[],
    path: HostileRequest['path'] = '/v1/commits',
    extra: Record<string, string> = {},
  ): HostileRequest => ({
    name,
    path,
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signRequest(secret, body, now()),
      ...extra,
    },
    body,
    expect,
  });
  /** A valid commit signed by `sign` (given the body), or not signed at all. */
  const withSignature = (
    name: string,
    sign: (body: Buffer) => string | undefined,
  ): HostileRequest => {
    const body = json(valid());
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const signature = sign(body);
    if (signature !== undefined) headers[SIGNATURE_HEADER] = signature;
    return { name, path: '/v1/commits', headers, body, expect: [401] };
  };
  const big = Buffer.alloc(10 * MB, 'a').toString('base64');
  const bigCommit = putCommit({ bucket, key: 'big', siblings: [{ value: big }] });
  const otherBody = json(valid());

  return [
    signed('malformed JSON', Buffer.from('{"bucketType": "default", "bucket": '), [400]),
    signed('JSON that is not an object', json([1, 2, 3]), [400]),
    signed('null', Buffer.from('null'), [400]),
    signed('invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), [400]),
    signed('key of the wrong type', json({ ...valid(), key: 5 }), [400]),
    signed('unknown op', json({ ...valid(), op: 'merge' }), [400]),
    signed('siblings not a list', json({ ...valid(), siblings: 'x' }), [400]),
    signed('value not base64', json({ ...valid(), siblings: [{ value: '%%%' }] }), [400]),
    signed('missing key', json({ ...valid(), key: undefined }), [400]),
    signed('unknown field', json({ ...valid(), extra: 1 }), [400]),
    signed(
      'top-level __proto__',
      Buffer.from(JSON.stringify(valid()).replace(/}$/, ',"__proto__":{"polluted":true}}')),
      [400],
    ),
    // A usermeta or index named `__proto__` is a name Riak takes (delivered: test/delivery.test.ts);
    // one whose value is an object, to pollute a prototype, is no usermeta or index value.
    signed(
      'polluting __proto__ in usermeta',
      Buffer.from(
        JSON.stringify(valid()).replace(
          '"vtag"',
          '"usermeta":{"__proto__":{"polluted":"yes"}},"vtag"',
        ),
      ),
      [400],
    ),
    signed(
      'polluting __proto__ in indexes',
      Buffer.from(
        JSON.stringify(valid()).replace(
          '"vtag"',
          '"indexes":{"__proto__":{"polluted":["yes"]}},"vtag"',
        ),
      ),
      [400],
    ),
    signed(
      'deeply nested JSON',
      Buffer.from('['.repeat(200_000) + ']'.repeat(200_000)),
      [400, 413],
    ),
    signed('10 MB body', json(bigCommit), [413]),
    signed('10 MB commit in a batch', json({ commits: [bigCommit] }), [413], '/v1/commits/batch'),
    signed(
      'batch of 1001 commits',
      json({ commits: Array.from({ length: 1001 }, () => valid()) }),
      [400, 413],
      '/v1/commits/batch',
    ),
    signed('text/plain', json(valid()), [415], '/v1/commits', { 'content-type': 'text/plain' }),
    signed('gzip content-encoding', json(valid()), [415], '/v1/commits', {
      'content-encoding': 'gzip',
    }),
    withSignature('no signature', () => undefined),
    withSignature('garbage signature header', () => 'garbage'),
    withSignature('wrong secret', (body) => signRequest(`${secret}-not`, body, now())),
    withSignature('signature of another body', () => signRequest(secret, otherBody, now())),
    // A request captured 10 minutes ago and replayed now: outside the replay window.
    withSignature('replayed 10 min later', (body) => signRequest(secret, body, now() - 600)),
    withSignature('timestamp 10 min ahead', (body) => signRequest(secret, body, now() + 600)),
    withSignature('bad hex', () => `t=${Math.floor(now())},v1=${'z'.repeat(64)}`),
  ];
}
