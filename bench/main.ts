/**
 * `pnpm bench [--quick]`: commitlog end to end against its baselines, in one run on this machine,
 * on the same payloads. Starts a private Redis (AOF, fsync always) and Kafka broker on free ports,
 * runs commitlog's ladder, B1–B5 and the levers, prints the table, and writes the JSON and an SVG
 * chart to bench/results/ (git-ignored). Stops everything it started, also after a failure.
 */
import { lateRecords } from './lib/late-records.ts';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from './lib/bench-context.ts';
import { startBenchInfra, type BenchInfra } from './lib/bench-infra.ts';
import { warmUpBroker } from './lib/broker-warm-up.ts';
import { chartSvg } from './lib/chart-svg.ts';
import { stopAllChildren } from './lib/child-process.ts';
import { formatReport } from './lib/report.ts';
import type { LadderResult, RunResults } from './lib/results.ts';
import { commitlogSteps } from './lib/targets.ts';
import { runOptions, type RunOptions } from './run-options.ts';
import {
  runBareHttp,
  runBullmqAlone,
  runKafkaPerfTest,
  runProducerAlone,
} from './scenarios/baselines.ts';
import { stopAllSystems } from './scenarios/commitlog-target.ts';
import {
  redisBytesPerDeliveredMark,
  redisBytesPerWaitingCommit,
  runCommitlog,
} from './scenarios/commitlog-runs.ts';
import { runNaiveBullmq, runNoQueueCeiling } from './scenarios/ladder-baselines.ts';
import { runLevers } from './scenarios/levers.ts';

const resultsDir = fileURLToPath(new URL('results/', import.meta.url));
const progress = (line: string): void => void process.stdout.write(`${line}\n`);

/** Runs one part; a failure is recorded and the run goes on with the rest. */
async function part<T>(
  run: RunResults,
  name: string,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    const message = `${name}: ${error instanceof Error ? error.message.split('\n').slice(0, 6).join(' | ') : String(error)}`;
    run.errors.push(message);
    progress(`  FAILED ${message}`);
    return undefined;
  }
}

async function measure(
  ctx: BenchContext,
  options: RunOptions,
  scratch: string,
): Promise<RunResults> {
  const run: RunResults = {
    startedAt: new Date().toISOString(),
    mode: options.mode,
    redisFsync: options.redisFsync,
    machine: { cpus: cpus().length, node: process.version },
    system: { name: 'commitlog', steps: [], maxSustainablePerS: undefined },
    brokerWarmUp: undefined,
    halfRate: undefined,
    saturation: undefined,
    redisBytesPerWaitingCommit: undefined,
    baselines: {},
    levers: [],
    errors: [],
  };
  // Before anything is measured, so that no design pays for a cold broker (the first one did).
  ctx.progress(`warming up the Kafka broker for ${options.brokerWarmUpMs / 1000} s`);
  const warm = await part(run, 'broker warm-up', () => warmUpBroker(ctx, options.brokerWarmUpMs));
  if (warm) {
    run.brokerWarmUp = { requests: warm.requests, seconds: warm.seconds };
    ctx.progress(`  ${warm.requests} produce requests in ${warm.seconds.toFixed(0)} s`);
  }
  const e2e = await part(run, 'commitlog', () =>
    runCommitlog(ctx, {
      ...options.ladder,
      clients: options.clients,
      saturationMs: options.saturationMs,
      zipfSaturation: options.zipfSaturation,
    }),
  );
  if (e2e)
    Object.assign(run, {
      system: e2e.ladder,
      halfRate: e2e.halfRate,
      halfRateSettle: e2e.halfRateSettle,
      halfRateUpper: e2e.halfRateUpper,
      saturation: e2e.saturation,
      saturationZipf: e2e.saturationZipf,
    });
  run.redisBytesPerWaitingCommit = await part(run, 'Redis bytes', () =>
    redisBytesPerWaitingCommit(ctx, options.memoryCommits),
  );
  run.redisBytesPerDeliveredMark = await part(run, 'Redis bytes of a mark', () =>
    redisBytesPerDeliveredMark(ctx, 10_000),
  );
  progress('baselines B1–B3');
  const b = run.baselines;
  b.b1Node = await part(run, 'B1 node:http', () =>
    runBareHttp(ctx, 'node', options.clients, options.baselineMs),
  );
  b.b1Express = await part(run, 'B1 express', () =>
    runBareHttp(ctx, 'express', options.clients, options.baselineMs),
  );
  b.b2 = await part(run, 'B2', () => runBullmqAlone(ctx, options.baselineMs, scratch));
  b.b3 = await part(run, 'B3', () => runProducerAlone(ctx, options.baselineMs, 500, scratch));
  b.b3Platformatic = await part(run, 'B3 platformatic', () =>
    runProducerAlone(ctx, options.baselineMs, 500, scratch, 'platformatic'),
  );
  b.b3PerfTest = await part(run, 'B3 perf-test', () =>
    runKafkaPerfTest(ctx, options.perfTestRecords, scratch),
  );
  const baselineLadder = {
    ...options.baselineLadder,
    clients: options.clients,
    saturationMs: options.saturationMs,
    zipfSaturation: options.zipfSaturation,
  };
  b.b4 = await part(run, 'B4', () => runNoQueueCeiling(ctx, baselineLadder));
  b.b5 = await part(run, 'B5', () => runNaiveBullmq(ctx, baselineLadder));
  if (options.levers) {
    const top = run.halfRate?.rate ?? 250;
    run.levers =
      (await part(run, 'levers', () =>
        runLevers(ctx, {
          fixedRate: top,
          stepMs: options.ladder.stepMs * 0.75,
          clients: options.clients,
          saturationMs: options.saturationMs * 0.75,
          deadlineS: options.leverDeadlineS,
        }),
      )) ?? [];
  }
  // At the end: minutes after commitlog's main steps (the baselines and levers ran meanwhile),
  // past any redelivery; a lever's last steps only seconds after theirs.
  run.lateRecords = await part(run, 'late records', () =>
    lateRecords(ctx.kafka.stamps, commitlogSteps(run)),
  );
  return run;
}

function series(ladder: LadderResult | undefined) {
  return {
    name: ladder?.name ?? '?',
    points: (ladder?.steps ?? []).map((s) => ({
      rate: s.rate ?? 0,
      delivered: s.deliveredPerS,
      p99Ms: s.commitToKafka.p99,
    })),
  };
}

async function save(run: RunResults): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const stamp = run.startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(run, null, 2)}\n`;
  const svg = chartSvg(
    [series(run.system), series(run.baselines.b4), series(run.baselines.b5)],
    `commitlog bench (${run.mode}) ${run.startedAt}`,
  );
  await writeFile(join(resultsDir, `${stamp}.json`), json);
  await writeFile(join(resultsDir, `${stamp}.svg`), svg);
  await writeFile(join(resultsDir, 'latest.json'), json);
  await writeFile(join(resultsDir, 'latest.svg'), svg);
  return join(resultsDir, `${stamp}.{json,svg}`);
}

async function main(): Promise<void> {
  const options = runOptions(process.argv.slice(2));
  const began = performance.now();
  let infra: BenchInfra | undefined;
  const scratch = await mkdtemp(join(tmpdir(), 'commitlog-bench-'));
  const cleanUp = async (): Promise<void> => {
    await stopAllSystems();
    await stopAllChildren();
    await infra?.stop();
    await rm(scratch, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping everything the bench started`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    progress(
      `commitlog bench (${options.mode}): starting a private Redis (appendfsync ${options.redisFsync}) and Kafka broker`,
    );
    infra = await startBenchInfra({
      tag: 'bench',
      redisFsync: options.redisFsync,
      progress: (line) =>
        progress(`[${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}`),
    });
    const run = await measure(infra.ctx, options, scratch);
    const where = await save(run);
    progress(`\n${formatReport(run)}\n\nresults: ${where} (also latest.json, latest.svg)`);
    progress(`run took ${((performance.now() - began) / 1000).toFixed(0)} s`);
  } finally {
    await cleanUp();
  }
}

await main();
