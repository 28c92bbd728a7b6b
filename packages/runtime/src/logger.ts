import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Field paths that are censored wherever they appear. Commit values are payment data and secrets
 * are secrets: code should never hand them to a logger, and this list is the net under that rule.
 */
export const REDACTED_PATHS = [
  'value',
  'values',
  'siblings',
  'body',
  'secret',
  'secrets',
  'password',
  'token',
  'authorization',
  'signature',
  '*.value',
  '*.values',
  '*.siblings',
  '*.body',
  '*.secret',
  '*.secrets',
  '*.password',
  '*.token',
  '*.authorization',
  '*.signature',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-commitlog-signature"]',
  'commit.siblings',
  'job.data',
];

/** `scheme://user:password@` in any text: the password part, up to the last `@` before a space. */
const CREDENTIALS_IN_URL = /([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*):[^\s]*@/gi;

/**
 * The text V8 quotes in a `JSON.parse` error (`Unexpected token 'x', "…" is not valid JSON`, up to
 * ten characters each side of the fault): from a job whose data is not JSON, that is part of a
 * commit's value.
 */
const QUOTED_JSON_TEXT =
  /Unexpected token '[\s\S]{1,2}', (?:\.\.\.)?"[\s\S]*?"(?:\.\.\.)? is not valid JSON/g;

/** How deep an error's nested errors and objects are followed before they are cut. */
const MAX_ERROR_DEPTH = 6;

/**
 * Makes a serialized error safe to log. Clients attach what they sent to their errors: ioredis
 * puts the failed command on `command`, and for a refused sign-in that is `HELLO 3 AUTH user
 * password` or `AUTH password`, logged on every reconnect. Only a command's name is kept, and a
 * password in any URL of the error's texts (messages, nested errors) is censored, and so is the
 * text a JSON syntax error quotes.
 */
function scrubError(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_ERROR_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((v) => scrubError(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === 'command' && typeof field === 'object' && field !== null) {
      out[key] = { name: (field as { name?: unknown }).name };
    } else if (key === 'args') {
      out[key] = '[redacted]';
    } else {
      out[key] = scrubError(field instanceof Error ? errorFields(field) : field, depth + 1);
    }
  }
  return out;
}

/** A text with what `scrubError` censors (a password in a URL, JSON text quoted) censored. */
export function scrubText(text: string): string {
  return text
    .replace(QUOTED_JSON_TEXT, 'Unexpected token in [text redacted] that is not valid JSON')
    .replace(CREDENTIALS_IN_URL, '$1$2:[redacted]@');
}

/** An error nested in another (a cause, a cluster node's error) as plain fields. */
function errorFields(error: Error): Record<string, unknown> {
  return { ...error, type: error.name, message: error.message };
}

const errSerializer = (error: unknown): unknown =>
  scrubError(error instanceof Error ? pino.stdSerializers.err(error) : error);

export interface LoggerOptions {
  /** Which role is logging (`ingest`, `worker`, …); bound to every line as `service`. */
  service: string;
  /** Minimum level. Default `info`. */
  level?: LevelWithSilent;
  /** Where lines go. Default standard output, one JSON object per line. */
  destination?: DestinationStream;
}

/** The one logger factory: structured JSON lines, ISO times, redaction on. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // An error's text reaches logs beside `err` too: a request's failure as `reason`, a failed
      // readiness probe's message in `checks`. They are censored as `err` is.
      serializers: { err: errSerializer, reason: scrubError, checks: scrubError },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
