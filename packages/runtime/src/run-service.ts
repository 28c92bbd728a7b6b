import { createLogger, type Logger } from './logger.ts';
import { onShutdown } from './shutdown.ts';
import type { LogLevel } from './config-types.ts';

export interface ServiceOptions<C extends { logLevel: LogLevel; shutdownTimeoutMs: number }, S> {
  /** The role, as logged and as printed before a configuration error (`commitlog <service>:`). */
  service: string;
  /** Reads and checks the configuration; throws a ConfigError naming every bad variable. */
  loadConfig: (env: Record<string, string | undefined>) => C;
  start: (config: C, logger: Logger) => Promise<S & { close(): Promise<void> }>;
  /** What stopping the service does, for the shutdown log. */
  stopStep: string;
  /** Called once the service runs, e.g. to log where it listens. */
  started?: (service: S, config: C, logger: Logger) => void;
  env?: Record<string, string | undefined>;
}

/**
 * The life of a service process: configuration checked first (a bad one is one readable line on
 * standard error and exit code 1), then the JSON logger, start-up, and a graceful stop on SIGTERM
 * or SIGINT. A start-up failure is logged as fatal and exits 1.
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
  try {
    const running = await options.start(config, logger);
    onShutdown({
      logger,
      timeoutMs: config.shutdownTimeoutMs,
      steps: [{ name: options.stopStep, run: () => running.close() }],
    });
    options.started?.(running, config, logger);
  } catch (error) {
    logger.fatal({ err: error }, `${options.service} failed to start`);
    logger.flush();
    process.exitCode = 1;
  }
}
