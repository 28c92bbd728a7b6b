import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { scrubLogFields, scrubText, serializeError } from './log-scrub.ts';

export type { Logger };
export { scrubText };

/** The error serializer: `err`, `reason` and `checks` go through it (see `serializeError`). */
const errSerializer = serializeError;

/** A message with what `scrubText` censors censored; pino takes an error's message when none. */
function scrubMessage(args: unknown[]): unknown[] {
  const [first, second] = args;
  if (first instanceof Error && typeof second !== 'string') {
    return [{ err: first }, scrubText(first.message), ...args.slice(1)];
  }
  return args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg));
}

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
      serializers: { err: errSerializer, reason: errSerializer, checks: errSerializer },
      hooks: {
        logMethod(args, method) {
          return method.apply(this, scrubMessage(args) as Parameters<typeof method>);
        },
      },
      // Commit values and secrets censored at any depth in a line's fields (a child's bound
      // fields below: pino applies a bindings formatter to the root's only).
      formatters: { level: (label) => ({ level: label }), log: scrubLogFields },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
  // Children are made from their parent by prototype, so every descendant's `child` and
  // `setBindings` are these.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with each descendant as `this`
  const { child, setBindings } = logger;
  logger.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return child.call(this, scrubLogFields(bindings), childOptions);
  } as Logger['child'];
  logger.setBindings = function scrubbedBindings(this: Logger, bindings) {
    setBindings.call(this, scrubLogFields(bindings));
  };
  return logger;
}
