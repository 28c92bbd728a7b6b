/**
 * The dashboard process (`commitlog dashboard`): configured from the environment, stops
 * gracefully on SIGTERM/SIGINT. Exit codes: 0 stopped cleanly, 1 failed (bad configuration, the
 * port taken).
 */
import { describeConfig, loadDashboardConfig, runService } from '@commitlog/runtime';
import { startDashboard } from './start-dashboard.ts';

await runService({
  uncaughtErrors: process,
  service: 'dashboard',
  loadConfig: loadDashboardConfig,
  start: (config, logger) => startDashboard(config, logger),
  stopStep: 'stop serving',
  started: (dashboard, config, logger) => {
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    logger.info(
      {
        host: config.host,
        port: dashboard.port,
        opsPort: dashboard.opsPort,
        config: describeConfig(config),
      },
      `dashboard listening on http://${host}:${dashboard.port}`,
    );
  },
});
