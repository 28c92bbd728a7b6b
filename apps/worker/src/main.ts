/**
 * The delivery worker process (`commitlog worker`): configured from the environment (DESIGN.md,
 * "Configuration"), stops gracefully on SIGTERM/SIGINT. Exit codes: 0 stopped cleanly, 1 failed.
 */
import { createLogger, loadWorkerConfig, onShutdown } from '@commitlog/runtime';
import { startWorker } from './start-worker.ts';

let config;
try {
  config = loadWorkerConfig(process.env);
} catch (error) {
  process.stderr.write(
    `commitlog worker: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}

const logger = createLogger({ service: 'worker', level: config.logLevel });
try {
  const worker = await startWorker(config, logger);
  onShutdown({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    steps: [{ name: 'stop delivering and flush Kafka', run: () => worker.close() }],
  });
} catch (error) {
  logger.fatal({ err: error }, 'worker failed to start');
  logger.flush();
  process.exitCode = 1;
}
