/**
 * The delivery worker process (`commitlog worker`): configured from the environment (DESIGN.md,
 * "Configuration"), stops gracefully on SIGTERM/SIGINT. Exit codes: 0 stopped cleanly, 1 failed
 * (bad configuration, an unsafe Redis, an invalid routes file).
 */
import { describeConfig, loadWorkerConfig, runService } from '@commitlog/runtime';
import { startWorker } from './start-worker.ts';

await runService({
  uncaughtErrors: process,
  service: 'worker',
  loadConfig: (env) => loadWorkerConfig(env),
  start: startWorker,
  stopStep: 'stop delivering and flush Kafka',
  started: (worker, config, logger) => {
    logger.info({ opsPort: worker.opsPort, config: describeConfig(config) }, 'worker running');
  },
});
