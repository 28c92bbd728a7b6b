import { pino } from 'pino';

/**
 * What the logger censors in any line, at any depth. Commit values are payment data and secrets
 * are secrets: code should never hand them to a logger, and this is the net under that rule.
 * It replaces pino's `redact`: its paths reach a fixed depth (a caller nesting one level further,
 * `{ job: { commit: { siblings } } }`, passes them), and with wildcards it cost 10 µs per line,
 * five times the rest of a line, on the ingest's one line per request.
 */

/** Field names whose values are never logged, compared without case. */
const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  'value',
  'values',
  'siblings',
  'body',
  'secret',
  'secrets',
  'password',
  'token',
  'authorization',
  'cookie',
  'signature',
  'x-commitlog-signature',
]);

/** Field names censored only inside a field of the given name (a job's data holds its commit). */
const SENSITIVE_INSIDE: Readonly<Record<string, ReadonlySet<string>>> = { job: new Set(['data']) };

const CENSOR = '[redacted]';

/**
 * Makes an error safe to log. Clients attach what they sent to their errors: ioredis puts the
 * failed command on `command`, and for a refused sign-in that is `HELLO 3 AUTH user password` or
 * `AUTH password`, logged on every reconnect. Only a command's name is kept; texts are scrubbed
 * (`scrubText`) and sensitive fields censored, in the error and the errors and objects it holds.
 */
export function serializeError(error: unknown): unknown {
  return scrubError(error instanceof Error ? pino.stdSerializers.err(error) : error, 0);
}

/** An already serialized error (or any value in one), made safe to log: see `serializeError`. */
function scrubError(value: unknown, depth: number, parent?: string): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null) return value;
  // Bytes an error holds (a record, a request) by their length, as in a line's own fields.
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((v) => scrubError(v, depth + 1, parent));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === 'command' && typeof field === 'object' && field !== null) {
      out[key] = { name: (field as { name?: unknown }).name };
    } else if (key === 'args' || isSensitiveKey(key, parent)) {
      out[key] = CENSOR;
    } else {
      out[key] = scrubError(field instanceof Error ? errorFields(field) : field, depth + 1, key);
    }
  }
  return out;
}

/** An error nested in another (a cause, a cluster node's error) as plain fields. */
function errorFields(error: Error): Record<string, unknown> {
  return { ...error, type: error.name, message: error.message };
}

/** Whether a field's value is never logged; `parent`: the name of the field that holds it. */
function isSensitiveKey(key: string, parent?: string): boolean {
  const name = key.toLowerCase();
  return (
    SENSITIVE_KEYS.has(name) ||
    (parent !== undefined && SENSITIVE_INSIDE[parent.toLowerCase()]?.has(name) === true)
  );
}

/** `scheme://user:password@` in any text: the password part, up to the last `@` before a space. */
const CREDENTIALS_IN_URL = /([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*):[^\s]*@/gi;

/** ioredis also takes the password from a URL's query string (`?password=…`). */
const PASSWORD_PARAM = /([?&]password=)[^&#\s]*/gi;

/**
 * The text V8 quotes in a `JSON.parse` error (`Unexpected token 'x', "…" is not valid JSON`, up to
 * ten characters each side of the fault): from a job whose data is not JSON, that is part of a
 * commit's value.
 */
const QUOTED_JSON_TEXT =
  /Unexpected token '[\s\S]{1,2}', (?:\.\.\.)?"[\s\S]*?"(?:\.\.\.)? is not valid JSON/g;

/** How deep a logged object is followed; deeper parts are cut. */
const MAX_DEPTH = 6;

/** A text with a password in a URL (userinfo or query) and the text a JSON error quotes censored. */
export function scrubText(text: string): string {
  // Most texts hold none of them: the regular expressions run only when one may be there.
  if (!text.includes('://') && !text.includes('password=') && !text.includes('valid JSON')) {
    return text;
  }
  return text
    .replace(QUOTED_JSON_TEXT, 'Unexpected token in [text redacted] that is not valid JSON')
    .replace(CREDENTIALS_IN_URL, '$1$2:[redacted]@')
    .replace(PASSWORD_PARAM, `$1${CENSOR}`);
}

/**
 * A log line's fields with sensitive fields censored and texts scrubbed, at any depth (past
 * MAX_DEPTH, cut): errors serialized and scrubbed (`serializeError`) wherever they are, bytes
 * shown by their length, other class instances by their `toJSON` or their own fields, as
 * JSON.stringify would show them. A field that needs no change is passed on as it is, so the
 * usual line (ids, counts, names) costs a walk and no copy.
 */
export function scrubLogFields(fields: Record<string, unknown>): Record<string, unknown> {
  return scrubObject(fields, 0, undefined) as Record<string, unknown>;
}

function scrubValue(value: unknown, depth: number, parent: string | undefined): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return serializeError(value);
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) {
    const items = value as readonly unknown[];
    let out: unknown[] | undefined;
    items.forEach((item, i) => {
      const scrubbed = scrubValue(item, depth + 1, parent);
      if (scrubbed !== item) (out ??= items.slice())[i] = scrubbed;
    });
    return out ?? items;
  }
  // Bytes may be a commit's value under any name: their length only.
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    // A URL's is its href, password and all.
    let shown: unknown;
    try {
      shown = (toJSON as () => unknown).call(value);
    } catch {
      return '[unserializable]';
    }
    return scrubValue(shown, depth, parent);
  }
  return scrubObject(value as Record<string, unknown>, depth, parent);
}

function scrubObject(
  fields: Record<string, unknown>,
  depth: number,
  parent: string | undefined,
): unknown {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const field = fields[key];
    const scrubbed =
      isSensitiveKey(key, parent) && field !== undefined
        ? CENSOR
        : scrubValue(field, depth + 1, key);
    if (scrubbed !== field) (out ??= { ...fields })[key] = scrubbed;
  }
  return out ?? fields;
}
