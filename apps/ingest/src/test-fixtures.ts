/**
 * Commits and signed requests for the ingest's tests (unit and integration). Test code only:
 * nothing in the service imports it.
 */
import { SIGNATURE_HEADER, signRequest } from '@commitlog/core';

/** A signing secret of the length production requires (at least 32 characters). */
export const TEST_SECRET = 'ingest-test-secret-0123456789abcdef-0123456789';
/** Another secret, for a signature made with the wrong one. */
export const OTHER_SECRET = 'not-the-ingest-secret-0123456789abcdef-0123456789';

/** A commit in its wire form: a put of `{"amount":100}` with one sibling and a vclock. */
export function wireCommit(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const key = typeof overrides.key === 'string' ? overrides.key : 'txn-123';
  return {
    bucketType: 'default',
    bucket: 'transactions',
    key,
    op: 'put',
    vclock: Buffer.from(`vclock of ${key}`).toString('base64'),
    siblings: [
      {
        value: Buffer.from('{"amount":100}').toString('base64'),
        contentType: 'application/json',
        vtag: '6dGz2BZ3yRlKBkhwVu1Sju',
        lastModified: '2026-11-24T12:00:00.123456Z',
      },
    ],
    ...overrides,
  };
}

/** A commit in its wire form lacking one field. */
export function wireCommitWithout(field: string): Record<string, unknown> {
  const commit = wireCommit();
  delete commit[field];
  return commit;
}

/** A put whose one value is `bytes` bytes long. */
export function wireCommitOfSize(bytes: number, key = 'big'): Record<string, unknown> {
  return wireCommit({ key, siblings: [{ value: Buffer.alloc(bytes, 7).toString('base64') }] });
}

/** The headers of a signed JSON POST of `body`, signed at `nowMs` (epoch ms) with `secret`. */
export function signedHeaders(
  body: Uint8Array,
  options: { nowMs: number; secret?: string },
): Record<string, string> {
  return {
    'content-type': 'application/json',
    [SIGNATURE_HEADER]: signRequest(options.secret ?? TEST_SECRET, body, options.nowMs / 1000),
  };
}
