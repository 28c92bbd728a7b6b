/** commitlog itself as a benchmark target: ingest and workers as real processes (the test kit's system). */
import { startSystem, type RunningSystem } from '@commitlog/testkit';
import type { BenchContext } from '../lib/bench-context.ts';
import type { Target } from '../lib/step-runner.ts';

export interface CommitlogSetup {
  workers: number;
  /** Environment beyond production defaults (LANES, PRODUCE_BATCH_MAX, ...). */
  env: Record<string, string>;
}

const running = new Set<RunningSystem>();

/** Production defaults where the test kit shortens them for its tests (retries, lock). */
const PRODUCTION = { RETRY_BASE: '200ms', RETRY_MAX: '60s', WORKER_LOCK: '30s', LOG_LEVEL: 'warn' };

export async function startCommitlog(
  ctx: BenchContext,
  name: string,
  setup: CommitlogSetup,
): Promise<{ target: Target; system: RunningSystem; stop(): Promise<void> }> {
  const system = await startSystem({
    redisUrl: ctx.redis.url,
    kafkaBrokers: ctx.kafka.brokers,
    workers: setup.workers,
    env: { ...PRODUCTION, LANES: '16', ...setup.env, INGEST_SECRETS: ctx.secret },
  });
  running.add(system);
  const target: Target = {
    name,
    url: system.ingestUrl,
    usesRedis: true,
    processes: () => ({
      ingest: system.ingest.pid,
      ...Object.fromEntries(system.workers.map((w, i) => [`worker ${i + 1}`, w.pid])),
    }),
  };
  return {
    target,
    system,
    async stop() {
      running.delete(system);
      await system.stop();
    },
  };
}

/** Stops every system still running (the run's `finally`). */
export async function stopAllSystems(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop().catch(() => undefined)));
  running.clear();
}
