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

/** Whether a field's value is never logged; `parent`: the name of the field that holds it. */
export function isSensitiveKey(key: string, parent?: string): boolean {
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
 * A log line's fields with sensitive fields censored and texts scrubbed, at any depth. Errors are
 * left to the error serializer (logger.ts), which scrubs them its own way; a field that needs no
 * change is passed on as it is, so the usual line (ids, counts, names) costs a walk and no copy.
 */
export function scrubLogFields(fields: Record<string, unknown>): Record<string, unknown> {
  return scrubObject(fields, 0, undefined) as Record<string, unknown>;
}

function scrubValue(value: unknown, depth: number, parent: string | undefined): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null || value instanceof Error) return value;
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
  // Buffers, dates and other class instances: serialized by their own toJSON, not walked.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
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
