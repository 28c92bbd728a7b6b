/**
 * `pnpm bench:clients [pairs] [rate]`: the worker's two Kafka clients (`KAFKA_CLIENT`) compared in
 * interleaved pairs on a private Redis (AOF, fsync always) and Kafka broker. One setting per design
 * run, as the levers of `pnpm bench` do, but several pairs, alternating which client goes first:
 * on this shared 2-core machine one pair is within the noise (the full run's default setting
 * alone has measured 900 to 1,285/s saturation within one run). Each system: the closed-loop
 * warm-up, saturation (64 clients, 6 s), then `rate`/s open loop for 8 s. Prints each system's
 * figures and, per figure, the mean of each client and in how many pairs each was ahead.
 */
import { startBenchInfra } from './lib/bench-infra.ts';
import { warmUpBroker } from './lib/broker-warm-up.ts';
import type { StepResult } from './lib/results.ts';
import { runStep, warmUp } from './lib/step-runner.ts';
import { textTable } from './lib/text-table.ts';
import { startCommitlog, stopAllSystems } from './scenarios/commitlog-target.ts';

const CLIENTS = ['platformatic', 'kafkajs'] as const;
type Client = (typeof CLIENTS)[number];

interface Figures {
  saturationPerS: number;
  workerCpuMsAtSaturation: number;
  p50Ms: number;
  p99Ms: number;
  workerCpuMsAtRate: number;
}

/** What each figure is called, and whether more is better. */
const FIGURES: [keyof Figures, string, 'more' | 'less'][] = [
  ['saturationPerS', 'saturation accepted/s', 'more'],
  ['workerCpuMsAtSaturation', 'worker CPU ms per commit at saturation', 'less'],
  ['p50Ms', 'commit→Kafka p50 ms at the rate', 'less'],
  ['p99Ms', 'commit→Kafka p99 ms at the rate', 'less'],
  ['workerCpuMsAtRate', 'worker CPU ms per commit at the rate', 'less'],
];

function workerCpuMsPerCommit(step: StepResult): number {
  const worker = step.usage.find((u) => u.name === 'worker 1');
  return worker === undefined ? NaN : (worker.cpuSeconds * 1000) / Math.max(1, step.accepted);
}

const [pairs = 4, rate = 400] = process.argv.slice(2).map(Number);
if (!Number.isInteger(pairs) || pairs < 1 || !(rate > 0)) {
  process.stderr.write('usage: pnpm bench:clients [pairs ≥ 1] [rate > 0]\n');
  process.exit(2);
}
const progress = (line: string): void => void process.stdout.write(`${line}\n`);
const infra = await startBenchInfra({ tag: 'clients', progress });
const { ctx } = infra;
const results: Record<Client, Figures[]> = { platformatic: [], kafkajs: [] };
let lostTotal = 0;
try {
  progress('warming up the Kafka broker for 30 s');
  await warmUpBroker(ctx, 30_000);
  for (let pair = 1; pair <= pairs; pair++) {
    const order = pair % 2 === 1 ? CLIENTS : [...CLIENTS].reverse();
    for (const client of order) {
      const label = `${client}-${pair}`;
      const started = await startCommitlog(ctx, label, {
        workers: 1,
        env: { KAFKA_CLIENT: client },
      });
      try {
        await warmUp(ctx, started.target, label);
        const saturation = await runStep(
          ctx,
          started.target,
          { kind: 'closed', clients: 64, durationMs: 6000 },
          `${label}-sat`,
        );
        const fixed = await runStep(
          ctx,
          started.target,
          { kind: 'open', rate, durationMs: 8000 },
          `${label}-rate`,
        );
        const figures: Figures = {
          saturationPerS: saturation.acceptedPerS,
          workerCpuMsAtSaturation: workerCpuMsPerCommit(saturation),
          p50Ms: fixed.commitToKafka.p50,
          p99Ms: fixed.commitToKafka.p99,
          workerCpuMsAtRate: workerCpuMsPerCommit(fixed),
        };
        results[client].push(figures);
        const lost = saturation.lost + fixed.lost;
        lostTotal += lost;
        progress(
          `  pair ${pair} ${client}: saturation ${figures.saturationPerS.toFixed(0)}/s (worker ${figures.workerCpuMsAtSaturation.toFixed(3)} ms/commit), ${rate}/s p50 ${figures.p50Ms.toFixed(1)} p99 ${figures.p99Ms.toFixed(1)} ms (worker ${figures.workerCpuMsAtRate.toFixed(3)} ms/commit), lost ${lost}`,
        );
      } finally {
        await started.stop();
      }
    }
  }
} finally {
  await stopAllSystems();
  await infra.stop();
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = FIGURES.map(([key, name, better]) => {
  const a = results.platformatic.map((f) => f[key]);
  const b = results.kafkajs.map((f) => f[key]);
  const ahead = a.filter((x, i) => (better === 'more' ? x > b[i]! : x < b[i]!)).length;
  return [name, mean(a).toFixed(2), mean(b).toFixed(2), `${ahead} of ${a.length}`];
});
progress(
  `\n${textTable(['figure', '@platformatic/kafka (mean)', 'kafkajs (mean)', 'platformatic ahead'], rows)}\nlost: ${lostTotal} (must be 0)`,
);
if (lostTotal > 0) process.exitCode = 1;
