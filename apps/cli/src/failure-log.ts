import {
  binaryToBytes,
  bytesToBinary,
  jsonParseLoss,
  MAX_JSON_DEPTH,
  measureJson,
} from '@commitlog/core';
import type { TooLongLine } from './file-lines.ts';
/**
 * The Riak hook's failure log: one JSON object per line,
 * `{"failedAt": "<ISO-8601>", "reason": "<why>", "commit": <the commit JSON it could not hand off>}`.
 * A line holding a bare commit (no `commit` field) is accepted too, so a hand-made file works.
 */

export type FailureLogLine =
  | {
      line: number;
      commit: unknown;
      bytes: Buffer;
      /** The object the commit is of (bucket type, bucket, key), as one string: see `objectOf`. */
      object: string;
    }
  | { line: number; problem: string };

/**
 * One string per Riak object, whichever form its binaries travel in: a binary's bytes decide,
 * so `"k"` and `{"base64": "aw=="}` are one object. A field that is not a binary is kept as
 * its JSON; the ingest refuses such a commit anyway.
 */
function objectOf(commit: object): string {
  const field = (name: string, fallback?: string): unknown => {
    const value: unknown = (commit as Record<string, unknown>)[name] ?? fallback;
    if (typeof value === 'string') return value;
    const base64: unknown =
      typeof value === 'object' && value !== null
        ? (value as { base64?: unknown }).base64
        : undefined;
    return typeof base64 === 'string' ? bytesToBinary(binaryToBytes({ base64 })) : (value ?? null);
  };
  return JSON.stringify([field('bucketType', 'default'), field('bucket'), field('key')]);
}

/**
 * The longest line read. Riak refuses an object over `max_object_size` (50 MB by default), and
 * its failure-log line holds it as base64 in JSON (4/3 of it, and the line's own fields): a
 * longer line is no failure-log line (a file without newlines, a crash's tail of NULs, the
 * wrong file), and is skipped unread rather than gathered into memory.
 */
export const MAX_LINE_BYTES = 128 * 1024 * 1024;

// Fatal: a byte that is not UTF-8 must not quietly become U+FFFD in a commit that is then
// accepted (the ingest refuses such a body for the same reason).
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads one line of a failure log as `fileLines` hands it out (read with `MAX_LINE_BYTES`): its
 * bytes, or the length of one too long to have been read. As `parseFailureLogLine` otherwise.
 */
export function readFailureLogLine(
  raw: Buffer | TooLongLine,
  line: number,
): FailureLogLine | undefined {
  if (!Buffer.isBuffer(raw)) {
    return {
      line,
      problem: `${raw.bytes} bytes, longer than a failure-log line can be (${MAX_LINE_BYTES} at most)`,
    };
  }
  // Before JSON.parse, which takes any depth (a damaged or hand-made line of millions of levels
  // ran the check for names given twice out of heap); a commit request nests about 8.
  if (measureJson(raw).depth > MAX_JSON_DEPTH) {
    return { line, problem: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return { line, problem: 'not valid UTF-8' };
  }
  return parseFailureLogLine(text, line);
}

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
  // The commit is sent as JSON.stringify makes it, not as the line's bytes: a name given twice
  // would reach the ingest resolved (the last one kept), and a number JSON.parse rounds would
  // reach it rounded, where it refuses the same body posted directly. The hook never writes
  // either; a hand-made or damaged line may.
  const loss = jsonParseLoss(trimmed);
  if (loss !== undefined) {
    return {
      line,
      problem:
        loss.kind === 'repeated-name'
          ? `the name at ${loss.path} is given twice in one object`
          : `the number at ${loss.path} has more digits than JSON.parse keeps (it would be sent as another number); write it as a string`,
    };
  }
  const commit: unknown = 'commit' in parsed ? parsed.commit : parsed;
  if (typeof commit !== 'object' || commit === null || Array.isArray(commit)) {
    return { line, problem: '"commit" is not a JSON object' };
  }
  if ('unencodable' in commit && commit.unencodable === true) {
    return {
      line,
      problem:
        'the hook could not encode this object (reason unencodable): its Erlang term is under "object" ' +
        '(base64 of term_to_binary); read it back with binary_to_term, or from Riak by its bucket and key',
    };
  }
  if (!('key' in commit) || !('bucket' in commit) || !('op' in commit)) {
    return { line, problem: 'no commit on this line (needs bucket, key and op)' };
  }
  let bytes: Buffer;
  try {
    bytes = Buffer.from(JSON.stringify(commit));
  } catch {
    // JSON.parse takes nesting that JSON.stringify cannot recurse through (a RangeError that
    // would end the run without a line number); no commit nests like that.
    return { line, problem: 'nested too deeply to be a commit' };
  }
  return { line, commit, bytes, object: objectOf(commit) };
}
