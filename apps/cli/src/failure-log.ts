/**
 * The Riak hook's failure log: one JSON object per line,
 * `{"failedAt": "<ISO-8601>", "reason": "<why>", "commit": <the commit JSON it could not hand off>}`.
 * A line holding a bare commit (no `commit` field) is accepted too, so a hand-made file works.
 */

export type FailureLogLine =
  { line: number; commit: unknown; bytes: Buffer } | { line: number; problem: string };

/** Reads one line of a failure log; `line` is 1-based, for messages. Blank lines are skipped. */
export function parseFailureLogLine(text: string, line: number): FailureLogLine | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return { line, problem: 'not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { line, problem: 'not a JSON object' };
  }
  const commit: unknown = 'commit' in parsed ? parsed.commit : parsed;
  if (typeof commit !== 'object' || commit === null || Array.isArray(commit)) {
    return { line, problem: '"commit" is not a JSON object' };
  }
  if (!('key' in commit) || !('bucket' in commit) || !('op' in commit)) {
    return { line, problem: 'no commit on this line (needs bucket, key and op)' };
  }
  return { line, commit, bytes: Buffer.from(JSON.stringify(commit)) };
}
