import { describe, expect, it } from 'vitest';
import type { Commit } from './commit-schema.ts';
import { assertCommitSize, commitSize, CommitTooLargeError, recordSize } from './commit-size.ts';
import { CommitlogError, isRetriable } from './errors.ts';

const b64 = (n: number) => Buffer.alloc(n, 0xab).toString('base64');

function put(values: number[]): Commit {
  return {
    bucketType: 'default',
    bucket: 'transactions',
    key: 'käy', // 4 bytes
    op: 'put',
    vclock: b64(10),
    siblings: values.map((n) => ({ value: b64(n), contentType: 'application/octet-stream' })),
  };
}

describe('recordSize', () => {
  it('adds the key, the value and every header name and value', () => {
    const record = {
      topic: 'not counted',
      key: Buffer.from('abc'),
      value: Buffer.from('12345'),
      headers: { a: 'bc', de: new Uint8Array(4) },
    };
    expect(recordSize(record)).toBe(3 + 5 + (1 + 2) + (2 + 4));
    expect(recordSize({ ...record, value: null })).toBe(3 + 0 + 3 + 6);
  });
});

describe('commitSize', () => {
  it('is the size of the record: each value byte counts once for a single sibling', () => {
    const size = commitSize(put([1000]));
    expect(size).toBeGreaterThan(1000 + 4);
    expect(commitSize(put([1001])) - size).toBe(1);
  });

  it("counts a single sibling's user metadata and index entries, which travel as headers", () => {
    const bare = put([1000]);
    const withMeta = put([1000]);
    withMeta.siblings[0] = {
      ...withMeta.siblings[0]!,
      usermeta: { origin: 'x'.repeat(5000) },
      indexes: { customer_bin: ['c'.repeat(3000)] },
    };
    expect(commitSize(withMeta) - commitSize(bare)).toBeGreaterThan(8000);
  });

  it('counts the base64 envelope of several siblings, which is heavier than their bytes', () => {
    expect(commitSize(put([600, 600]))).toBeGreaterThan((4 / 3) * 1200);
  });

  it('counts the envelope when the route asks for one, even for one sibling', () => {
    const routes = [{ bucket: 'transactions', topic: 'payments', envelope: true }];
    expect(commitSize(put([900]), routes)).toBeGreaterThan((4 / 3) * 900);
    expect(commitSize(put([900]))).toBeLessThan((4 / 3) * 900);
  });
});

describe('assertCommitSize', () => {
  const commit = put([100]);
  const size = commitSize(commit);

  it('accepts a commit at the limit', () => {
    expect(() => assertCommitSize(commit, size)).not.toThrow();
  });

  it('refuses one over it, with its size, the limit and where it is', () => {
    let error: unknown;
    try {
      assertCommitSize(commit, size - 1, 'commits[7]');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CommitTooLargeError);
    expect(error).toBeInstanceOf(CommitlogError);
    const tooLarge = error as CommitTooLargeError;
    expect(tooLarge.code).toBe('COMMIT_TOO_LARGE');
    expect(isRetriable(tooLarge)).toBe(false);
    expect(tooLarge.bytes).toBe(size);
    expect(tooLarge.limit).toBe(size - 1);
    expect(tooLarge.path).toBe('commits[7]');
    expect(tooLarge.message).toBe(
      `commits[7]: commit of ${size} bytes (as a Kafka record) is over the limit of ${size - 1} bytes`,
    );
  });
});
