import type { Commit } from './commit-schema.ts';
import { CommitlogError } from './errors.ts';
import { base64ByteLength, binaryByteLength } from './riak-binary.ts';

/**
 * A commit heavier than the configured maximum (`MAX_COMMIT_BYTES`, which is never above what the
 * Kafka topic accepts). The ingest answers 413; no retry can fix it.
 */
export class CommitTooLargeError extends CommitlogError {
  /** The commit's place in the request: `""` for a single commit, `commits[i]` in a batch. */
  readonly path: string;
  /** The commit's size as `commitSize` counts it. */
  readonly bytes: number;
  /** The maximum it is over. */
  readonly limit: number;

  constructor(bytes: number, limit: number, path = '') {
    const reason = `commit of ${bytes} bytes is over the limit of ${limit} bytes`;
    super('COMMIT_TOO_LARGE', path === '' ? reason : `${path}: ${reason}`, {
      retriable: false,
    });
    this.path = path;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * Roughly what the commit's Kafka record will weigh: the decoded bytes of its key, of every
 * sibling's value and of its vclock. Metadata and headers are not counted, and an enveloped record
 * carries its values in base64 (a third more), so keep the limit some way under the topic's
 * `max.message.bytes`.
 */
export function commitSize(commit: Commit): number {
  let bytes = binaryByteLength(commit.key);
  for (const sibling of commit.siblings) bytes += base64ByteLength(sibling.value);
  if (commit.vclock !== undefined) bytes += base64ByteLength(commit.vclock);
  return bytes;
}

/** Throws CommitTooLargeError when `commitSize(commit)` is over `maxBytes`. */
export function assertCommitSize(commit: Commit, maxBytes: number, path = ''): void {
  const bytes = commitSize(commit);
  if (bytes > maxBytes) throw new CommitTooLargeError(bytes, maxBytes, path);
}
