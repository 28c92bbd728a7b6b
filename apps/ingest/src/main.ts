/**
 * The ingest process (`commitlog ingest`): configured from the environment (DESIGN.md,
 * "Configuration"), stops gracefully on SIGTERM/SIGINT. Exit codes: 0 stopped cleanly, 1 failed
 * (bad configuration, an unsafe Redis, the port taken).
 */
import { createLogger, describeConfig, loadIngestConfig, onShutdown } from '@commitlog/runtime';
import { startIngest } from './start-ingest.ts';

let config;
try {
  config = loadIngestConfig(process.env);
} catch (error) {
  process.stderr.write(
    `commitlog ingest: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}

const logger = createLogger({ service: 'ingest', level: config.logLevel });
try {
  const ingest = await startIngest(config, logger);
  onShutdown({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    steps: [{ name: 'stop accepting and drain', run: () => ingest.close() }],
  });
  logger.info(
    { host: config.host, port: ingest.port, config: describeConfig(config) },
    `ingest listening on http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${ingest.port}`,
  );
} catch (error) {
  logger.fatal({ err: error }, 'ingest failed to start');
  logger.flush();
  process.exitCode = 1;
}
