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
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
