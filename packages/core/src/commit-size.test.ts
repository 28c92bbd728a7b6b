import { describe, expect, it } from 'vitest';
import type { Commit } from './commit-schema.ts';
import { assertCommitSize, commitSize, CommitTooLargeError } from './commit-size.ts';
import { CommitlogError, isRetriable } from './errors.ts';

const b64 = (n: number) => Buffer.alloc(n, 0xab).toString('base64');

const commit: Commit = {
  bucketType: 'ignored-type',
  bucket: 'ignored-bucket',
  key: 'käy', // 4 bytes
  op: 'put',
  vclock: b64(10),
  siblings: [{ value: b64(100), contentType: 'ignored' }, { value: b64(1) }, { value: '' }],
};

describe('commitSize', () => {
  it('counts the decoded bytes of the key, every value and the vclock', () => {
    expect(commitSize(commit)).toBe(4 + 100 + 1 + 0 + 10);
    expect(commitSize({ ...commit, key: { base64: b64(7) }, vclock: undefined })).toBe(7 + 101);
    expect(commitSize({ ...commit, op: 'delete', siblings: [] })).toBe(14);
  });
});

describe('assertCommitSize', () => {
  it('accepts a commit at the limit', () => {
    expect(() => assertCommitSize(commit, 115)).not.toThrow();
  });

  it('refuses one over it, with its size, the limit and where it is', () => {
    let error: unknown;
    try {
      assertCommitSize(commit, 114, 'commits[7]');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CommitTooLargeError);
    expect(error).toBeInstanceOf(CommitlogError);
    const tooLarge = error as CommitTooLargeError;
    expect(tooLarge.code).toBe('COMMIT_TOO_LARGE');
    expect(isRetriable(tooLarge)).toBe(false);
    expect(tooLarge.bytes).toBe(115);
    expect(tooLarge.limit).toBe(114);
    expect(tooLarge.path).toBe('commits[7]');
    expect(tooLarge.message).toBe('commits[7]: commit of 115 bytes is over the limit of 114 bytes');
    expect(new CommitTooLargeError(2, 1).message).toBe(
      'commit of 2 bytes is over the limit of 1 bytes',
    );
  });
});
