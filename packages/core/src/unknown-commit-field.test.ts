import { describe, expect, it } from 'vitest';
import { parseCommit } from './parse-commit.ts';
import { unknownCommitField } from './unknown-commit-field.ts';

/** A commit with every field this version knows, as the ingest stores it. */
function fullCommit(): Record<string, unknown> {
  return {
    bucketType: { base64: 'AP8=' },
    bucket: 'payments',
    key: 'txn-1',
    op: 'put',
    vclock: 'a85hYGBgzGDKBVI=',
    siblings: [
      {
        value: 'eyJhIjoxfQ==',
        contentType: 'application/json',
        contentEncoding: { base64: '/w==' },
        vtag: 'v1',
        lastModified: '2026-11-24T12:00:00.123456Z',
        usermeta: { owner: 'ops', raw: { base64: '/w==' } },
        indexes: { amount_int: [100, { base64: '/w==' }, 'x'] },
      },
      { value: '', deleted: true },
    ],
  };
}

describe('unknownCommitField', () => {
  it('knows every field of a commit the ingest takes', () => {
    const commit = fullCommit();
    // The fixture is a commit this version's ingest accepts, so the check and the schema agree.
    expect(() => parseCommit(commit)).not.toThrow();
    expect(unknownCommitField(commit)).toBeUndefined();
    expect(unknownCommitField({ bucket: 'b', key: 'k', op: 'delete' })).toBeUndefined();
  });

  it('names a field of a newer format, at any level, by its path', () => {
    const cases: [(c: Record<string, unknown>) => void, string][] = [
      [(c) => (c.traceId = 'x'), 'traceId'],
      [(c) => ((c.bucketType as Record<string, unknown>).encoding = 'x'), 'bucketType.encoding'],
      [(c) => (c.key = { base64: 'AA==', text: 'x' }), 'key.text'],
      [(c) => (siblings(c)[1]!.charset = 'utf-8'), 'siblings[1].charset'],
      [
        (c) => ((siblings(c)[0]!.contentEncoding as Record<string, unknown>).hex = 'ff'),
        'siblings[0].contentEncoding.hex',
      ],
      [(c) => (siblings(c)[0]!.vtag = { base64: 'AA==', z: 1 }), 'siblings[0].vtag.z'],
    ];
    for (const [change, path] of cases) {
      const commit = fullCommit();
      change(commit);
      expect(unknownCommitField(commit)).toBe(path);
    }
  });

  it("leaves a map entry's name, the commit's data, out of the path", () => {
    const commit = fullCommit();
    siblings(commit)[0]!.usermeta = { 'card-holder': { base64: 'AA==', more: 1 } };
    expect(unknownCommitField(commit)).toBe('siblings[0].usermeta.*.more');
    siblings(commit)[0]!.usermeta = {};
    siblings(commit)[0]!.indexes = { secret_bin: [{ base64: 'AA==', more: 1 }] };
    expect(unknownCommitField(commit)).toBe('siblings[0].indexes.*.more');
  });
});

function siblings(commit: Record<string, unknown>): Record<string, unknown>[] {
  return commit.siblings as Record<string, unknown>[];
}
