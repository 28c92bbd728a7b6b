import { z } from 'zod';
import {
  commitSchema,
  keyAddressSchema,
  MAX_BATCH_COMMITS,
  type Commit,
  type KeyAddress,
} from './commit-schema.ts';
import { validationErrorFrom } from './validation-error.ts';

/**
 * One commit from parsed JSON, or a ValidationError (`INVALID_COMMIT`) that names the first bad
 * field, e.g. `siblings[0].value: not valid base64`.
 */
export function parseCommit(input: unknown): Commit {
  return parseCommitAt(input, '');
}

// The envelope first, then each commit: a refused batch is refused at its first bad commit
// without validating a thousand others, and its envelope and commits answer with different codes.
const batchEnvelopeSchema = z.strictObject({
  commits: z
    .array(z.unknown())
    .min(1, { error: 'must hold at least one commit' })
    .max(MAX_BATCH_COMMITS, { error: `must hold at most ${MAX_BATCH_COMMITS} commits` }),
});

/**
 * The commits of a batch body (`{"commits": [...]}`, 1 to 1,000), in order. Throws a
 * ValidationError: `INVALID_BATCH` for the envelope (path `commits` or `""`), `INVALID_COMMIT`
 * for the first bad commit (path `commits[i]...`).
 */
export function parseBatch(input: unknown): Commit[] {
  const envelope = batchEnvelopeSchema.safeParse(input);
  if (!envelope.success) {
    throw validationErrorFrom(envelope.error, input, { code: 'INVALID_BATCH' });
  }
  return envelope.data.commits.map((commit, i) => parseCommitAt(commit, `commits[${i}]`));
}

function parseCommitAt(input: unknown, prefix: string): Commit {
  const result = commitSchema.safeParse(input);
  if (!result.success) {
    throw validationErrorFrom(result.error, input, { code: 'INVALID_COMMIT', prefix });
  }
  return result.data;
}

/**
 * A key's address from parsed JSON (`{"bucketType"?, "bucket", "key"}`, each a string or
 * `{"base64": "..."}` as in a commit), or a ValidationError naming the bad field.
 */
export function parseKeyAddress(input: unknown): KeyAddress {
  const result = keyAddressSchema.safeParse(input);
  if (!result.success) {
    throw validationErrorFrom(result.error, input, { code: 'INVALID_COMMIT' });
  }
  return result.data;
}
