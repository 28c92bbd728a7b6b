import type { z } from 'zod';
import { CommitlogError } from './errors.ts';

/** What was refused: one commit, a batch's envelope, or a routes file. */
export type ValidationErrorCode = 'INVALID_COMMIT' | 'INVALID_BATCH' | 'INVALID_ROUTES';

/**
 * Input that does not match its schema. The ingest answers it with 400 and
 * `{"error": {code, message, path}}`; no retry can fix it.
 *
 * `path` names the field in dotted/bracket form (`commits[3].siblings[0].value`, `""` for the
 * whole input) and `message` is `<path>: <reason>`. Neither ever holds a value from the input
 * (commit values are payment data); field names may appear.
 */
export class ValidationError extends CommitlogError {
  /** Where the problem is, e.g. `siblings[0].value`; `""` for the input as a whole. */
  readonly path: string;
  /** What is wrong there, without the path, e.g. `not valid base64`. */
  readonly reason: string;

  constructor(
    reason: string,
    options: { path?: string; code?: ValidationErrorCode; cause?: unknown } = {},
  ) {
    const path = options.path ?? '';
    super(options.code ?? 'INVALID_COMMIT', path === '' ? reason : `${path}: ${reason}`, {
      retriable: false,
      cause: options.cause,
    });
    this.path = path;
    this.reason = reason;
  }
}

/** Longest field name shown in a path; longer ones (from the input) are cut with `…`. */
const MAX_SEGMENT = 64;

/** Renders a path in dotted/bracket form: `commits[3].usermeta["x-y"]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
      continue;
    }
    let name = String(segment);
    if (name.length > MAX_SEGMENT) name = `${name.slice(0, MAX_SEGMENT)}…`;
    out += /^[A-Za-z_$][\w$]*$/.test(name)
      ? out === ''
        ? name
        : `.${name}`
      : `[${JSON.stringify(name)}]`;
  }
  return out;
}

/** Joins a prefix (`commits[2]`) and a path (`siblings[0].value`, `[0]` or `""`). */
export function joinPath(prefix: string, path: string): string {
  if (prefix === '' || path === '') return prefix + path;
  return path.startsWith('[') ? prefix + path : `${prefix}.${path}`;
}

/**
 * The ValidationError for the first issue zod found in `input`. Messages are our own, built from
 * the issue's code and the input's shape, so that they never echo a value.
 */
export function validationErrorFrom(
  error: z.ZodError,
  input: unknown,
  options: { code: ValidationErrorCode; prefix?: string },
): ValidationError {
  const issue = error.issues[0];
  if (issue === undefined) {
    return new ValidationError('is not valid', { code: options.code, path: options.prefix });
  }
  const segments: PropertyKey[] = [...issue.path];
  let reason: string;
  const lookup = valueAt(input, segments);
  if (issue.code === 'unrecognized_keys') {
    segments.push(issue.keys[0] ?? '');
    reason = 'unknown field';
  } else if (lookup.missing) {
    reason = 'is required';
  } else if (issue.code === 'invalid_type') {
    reason = `expected ${describeExpected(issue.expected)}, got ${describeValue(lookup.value)}`;
  } else if (issue.code === 'invalid_key') {
    // A map's name that its schema refused: zod's own message only says "Invalid key".
    reason = issue.issues[0]?.message ?? 'is not a valid name';
  } else {
    reason = issue.message;
  }
  return new ValidationError(reason, {
    code: options.code,
    path: joinPath(options.prefix ?? '', formatPath(segments)),
    cause: error,
  });
}

function valueAt(
  input: unknown,
  segments: readonly PropertyKey[],
): { missing: boolean; value: unknown } {
  let value = input;
  for (const segment of segments) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) {
      return { missing: true, value: undefined };
    }
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return { missing: value === undefined && segments.length > 0, value };
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  record: 'an object',
  array: 'an array',
};

function describeExpected(expected: string): string {
  return EXPECTED[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a fractional number';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}
