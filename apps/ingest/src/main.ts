/**
 * The ingest process (`commitlog ingest`): configured from the environment (DESIGN.md,
 * "Configuration"), stops gracefully on SIGTERM/SIGINT. Exit codes: 0 stopped cleanly, 1 failed
 * (bad configuration, an unsafe Redis, the port taken).
 */
import { describeConfig, loadIngestConfig, runService } from '@commitlog/runtime';
import { startIngest } from './start-ingest.ts';

await runService({
  uncaughtErrors: process,
  service: 'ingest',
  loadConfig: loadIngestConfig,
  start: (config, logger) => startIngest(config, logger),
  stopStep: 'stop accepting and drain',
  started: (ingest, config, logger) => {
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    logger.info(
      {
        host: config.host,
        port: ingest.port,
        opsPort: ingest.opsPort,
        config: describeConfig(config),
      },
      `ingest listening on ${ingest.scheme}://${host}:${ingest.port} (probes and metrics also on port ${ingest.opsPort}, plain http)`,
    );
  },
});
