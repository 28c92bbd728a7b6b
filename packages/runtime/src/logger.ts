import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { isSensitiveKey, scrubLogFields, scrubText } from './log-scrub.ts';

export type { Logger };
export { scrubText };

/** How deep an error's nested errors and objects are followed before they are cut. */
const MAX_ERROR_DEPTH = 6;

/**
 * Makes a serialized error safe to log. Clients attach what they sent to their errors: ioredis
 * puts the failed command on `command`, and for a refused sign-in that is `HELLO 3 AUTH user
 * password` or `AUTH password`, logged on every reconnect. Only a command's name is kept, and a
 * password in any URL of the error's texts (messages, nested errors) is censored, and so is the
 * text a JSON syntax error quotes, and any field the log never shows (a value, a body, a token).
 */
function scrubError(value: unknown, depth = 0, parent?: string): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_ERROR_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((v) => scrubError(v, depth + 1, parent));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === 'command' && typeof field === 'object' && field !== null) {
      out[key] = { name: (field as { name?: unknown }).name };
    } else if (key === 'args' || isSensitiveKey(key, parent)) {
      out[key] = '[redacted]';
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
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      // An error's text reaches logs beside `err` too: a request's failure as `reason`, a failed
      // readiness probe's message in `checks`. They are censored as `err` is.
      serializers: { err: errSerializer, reason: scrubError, checks: scrubError },
      // Commit values and secrets censored at any depth in a line's fields (a child's bound
      // fields below: pino applies a bindings formatter to the root's only).
      formatters: { level: (label) => ({ level: label }), log: scrubLogFields },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
  // Children are made from their parent by prototype, so every descendant's `child` is this one.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with each descendant as `this`
  const child = logger.child;
  logger.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return child.call(this, scrubLogFields(bindings), childOptions);
  } as Logger['child'];
  return logger;
}
