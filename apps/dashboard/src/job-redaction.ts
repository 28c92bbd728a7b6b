import { base64ByteLength, binaryToDisplay, type Commit } from '@commitlog/core';
import { holdsCommit, type CommitJobData } from '@commitlog/queue';

/**
 * A commit job as Bull Board may show it: who (bucket type, bucket, key), what (operation,
 * sibling count, each value's size and content type) and when, but never a value, user metadata
 * or index entries, which can hold payment data (and are not even named).
 */
export function redactJobData(data: CommitJobData): Record<string, unknown> {
  const notACommit = {
    note: "not a commit job: its data in Redis is not valid JSON, or not a commit job's",
  };
  if (!holdsCommit(data)) return notACommit;
  const commit: Commit = data.commit;
  // A commit of another shape (a hand edit of Redis) would throw below and take Bull Board's
  // whole page of the lane with it.
  try {
    return {
      id: data.id,
      lane: data.lane,
      receivedAt: data.receivedAt,
      ...(data.redrivenAt ? { redrivenAt: data.redrivenAt } : {}),
      commit: {
        bucketType: binaryToDisplay(commit.bucketType),
        bucket: binaryToDisplay(commit.bucket),
        key: binaryToDisplay(commit.key),
        op: commit.op,
        siblings: siblingSummary(commit.siblings),
      },
    };
  } catch {
    return notACommit;
  }
}

/**
 * One line for the siblings, e.g. `[redacted: 1 sibling: 18 bytes application/json gzip]`: a string,
 * which Bull Board's data view shows unfolded.
 */
function siblingSummary(siblings: Commit['siblings']): string {
  const each = siblings.map((s) =>
    [
      `${base64ByteLength(s.value)} bytes`,
      s.contentType === undefined ? undefined : binaryToDisplay(s.contentType),
      s.contentEncoding === undefined ? undefined : binaryToDisplay(s.contentEncoding),
    ]
      .filter(Boolean)
      .join(' '),
  );
  const count = `${siblings.length} ${siblings.length === 1 ? 'sibling' : 'siblings'}`;
  return `[redacted: ${[count, ...each].join(', ').replace(', ', ': ')}]`;
}

/** The job's name in Bull Board's lists: its bucket and key. */
export function jobTitle(data: CommitJobData | undefined): string {
  if (!holdsCommit(data)) return 'commit';
  try {
    return `${binaryToDisplay(data.commit.bucket)}/${binaryToDisplay(data.commit.key)}`;
  } catch {
    return 'commit';
  }
}
