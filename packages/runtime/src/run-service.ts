import { createLogger, scrubText, type Logger } from './logger.ts';
import { onShutdown, type SignalSource } from './shutdown.ts';
import type { LogLevel } from './config-types.ts';
import { oneLine } from './one-line.ts';

export interface ServiceOptions<C extends { logLevel: LogLevel; shutdownTimeoutMs: number }, S> {
  /** The role, as logged and as printed before a configuration error (`commitlog <service>:`). */
  service: string;
  /** Reads and checks the configuration; throws a ConfigError naming every bad variable. */
  loadConfig: (env: Record<string, string | undefined>) => C;
  /**
   * Starts the service. `stopped` is aborted when a signal comes while it starts: a start-up that
   * waits (for Redis, say) gives up then, and the stop closes what it had opened.
   */
  start: (
    config: C,
    logger: Logger,
    stopped: AbortSignal,
  ) => Promise<S & { close(): Promise<void> }>;
  /** What stopping the service does, for the shutdown log. */
  stopStep: string;
  /** Called once the service runs, e.g. to log where it listens. */
  started?: (service: S, config: C, logger: Logger) => void;
  env?: Record<string, string | undefined>;
  /** Where signals come from, and how the process exits (tests); default `process`. */
  processLike?: SignalSource;
  exit?: (code: number) => void;
  /**
   * Where errors nothing caught are heard (the roles pass `process`), to log them and exit 1;
   * absent, Node's default stands (tests, which share their process).
   */
  uncaughtErrors?: Pick<NodeJS.EventEmitter, 'on'>;
}

/**
 * The life of a service process: configuration checked first (a bad one is one readable line on
 * standard error and exit code 1), then the JSON logger, start-up, and a graceful stop on SIGTERM
 * or SIGINT. A start-up failure is logged as fatal and exits 1.
 *
 * The signals are listened for from before the start: one that comes while the service starts
 * (a worker waiting for its Redis, lanes already taking jobs) stops it as gracefully as one that
 * comes later, instead of Node's default, which killed the process with the jobs in its hands.
 */
export async function runService<C extends { logLevel: LogLevel; shutdownTimeoutMs: number }, S>(
  options: ServiceOptions<C, S>,
): Promise<void> {
  let config: C;
  try {
    config = options.loadConfig(options.env ?? process.env);
  } catch (error) {
    process.stderr.write(
      `commitlog ${options.service}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
    return;
  }
  const logger = createLogger({ service: options.service, level: config.logLevel });
  if (options.uncaughtErrors) exitThroughTheLogOnUncaught(options.uncaughtErrors, logger, options);
  const stopped = new AbortController();
  const starting = options.start(config, logger, stopped.signal);
  const shutdown = onShutdown({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    steps: [
      {
        name: options.stopStep,
        run: async () => {
          stopped.abort();
          // A start-up given up because of the stop has nothing to close: what it opened, it
          // closed as it failed.
          const running = await starting.catch(() => undefined);
          await running?.close();
        },
      },
    ],
    ...(options.processLike === undefined ? {} : { processLike: options.processLike }),
    ...(options.exit === undefined ? {} : { exit: options.exit }),
  });
  try {
    const running = await starting;
    if (!stopped.signal.aborted) options.started?.(running, config, logger);
  } catch (error) {
    const why = namingTheSetting(error instanceof Error ? error.message : String(error));
    if (stopped.signal.aborted) {
      // Stopped while starting: the stop under way exits. Its reason is said all the same: it
      // may be the stop, or a failure of its own that came as the stop did (a refused password
      // found during a rollout), which would otherwise leave no line at all.
      logger.warn({ err: error }, `${options.service} start-up ended as it was stopped`);
      process.stderr.write(
        `commitlog ${options.service}: start-up ended as it was stopped: ${oneLine(scrubText(why))}\n`,
      );
      return;
    }
    shutdown.dispose();
    logger.fatal({ err: error }, `${options.service} failed to start`);
    logger.flush();
    // And one line for whoever started it by hand, as for a bad configuration: the log line
    // above is JSON, with the stack, on standard output.
    process.stderr.write(
      `commitlog ${options.service}: failed to start: ${oneLine(scrubText(why))}\n`,
    );
    process.exitCode = 1;
  }
}

/**
 * A start-up failure's words, with the setting to look at where Redis's reply does not name it:
 * a refused login or command comes back as Redis's own words (WRONGPASS, NOAUTH, NOPERM).
 */
function namingTheSetting(why: string): string {
  return /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(why)
    ? `${why} (Redis refused the login, or its rights: the user and password in REDIS_URL)`
    : why;
}

/**
 * An error nothing caught ends the process, as Node's default does, but said through the logger:
 * Node prints every own property of the error to standard error, an ioredis error's command with
 * its arguments among them (a job's data, or `HELLO 3 AUTH user password`), where the logger
 * keeps an error's type, message, stack and code, censored.
 */
/** How long a crash waits for its log line to be written before it exits all the same. */
const CRASH_FLUSH_MS = 2000;

function exitThroughTheLogOnUncaught(
  source: Pick<NodeJS.EventEmitter, 'on'>,
  logger: Logger,
  options: { service: string; exit?: (code: number) => void },
): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const crash = (error: unknown): void => {
    logger.fatal({ err: error }, `${options.service} crashed: an error nothing caught`);
    // Listened for, such an error no longer ends the process by itself: a flush that never
    // calls back (standard output blocked) must not leave it running, its lanes taking jobs.
    setTimeout(() => exit(1), CRASH_FLUSH_MS);
    logger.flush(() => exit(1));
  };
  source.on('uncaughtException', crash);
  source.on('unhandledRejection', crash);
}
