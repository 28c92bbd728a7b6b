/**
 * `pnpm bench:ab NAME=A,B [pairs] [rate]`: two values of one setting of the commitlog roles (an
 * environment variable: `INGEST_ENQUEUE_BATCHING=true,false`, `KAFKA_CLIENT=platformatic,kafkajs`,
 * `LANES=16,64`) compared in interleaved pairs on a private Redis (AOF, fsync always) and Kafka
 * broker. One setting per design run, as the levers of `pnpm bench` do, but several pairs,
 * alternating which value goes first: on this shared 2-core machine one pair is within the noise
 * (the full run's default setting alone has measured 1,292 to 1,817/s saturation within one
 * run). Each system: the closed-loop warm-up, saturation (64 clients, 6 s), then `rate`/s open
 * loop for 8 s. Prints each system's figures and, per figure, the mean of each value and in how
 * many pairs the first was ahead. Saturation is judged by commits delivered (on Kafka within the
 * step), not accepted: the ingest answers once Redis holds a commit, so a slower worker setting
 * would barely move what is accepted. The ingest's CPU is per commit accepted, the worker's per
 * commit delivered in the same time. `pnpm bench:clients [pairs] [rate]` is this for KAFKA_CLIENT.
 */
import { parseAbArgs } from './lib/ab-args.ts';
import { startBenchInfra } from './lib/bench-infra.ts';
import { warmUpBroker } from './lib/broker-warm-up.ts';
import type { StepResult } from './lib/results.ts';
import { runStep, warmUp } from './lib/step-runner.ts';
import { textTable } from './lib/text-table.ts';
import { startCommitlog, stopAllSystems } from './scenarios/commitlog-target.ts';

/** How long the saturation step and the step at the given rate run. */
const SATURATION_MS = 6000;
const RATE_MS = 8000;

interface Figures {
  saturationDeliveredPerS: number;
  ingestCpuMsAtSaturation: number;
  workerCpuMsAtSaturation: number;
  p50Ms: number;
  p99Ms: number;
  ingestCpuMsAtRate: number;
  workerCpuMsAtRate: number;
}

/** What each figure is called, and whether more is better. */
const FIGURES: [keyof Figures, string, 'more' | 'less'][] = [
  ['saturationDeliveredPerS', 'saturation delivered/s', 'more'],
  ['ingestCpuMsAtSaturation', 'ingest CPU ms per commit at saturation', 'less'],
  ['workerCpuMsAtSaturation', 'worker CPU ms per commit at saturation', 'less'],
  ['p50Ms', 'commit→Kafka p50 ms at the rate', 'less'],
  ['p99Ms', 'commit→Kafka p99 ms at the rate', 'less'],
  ['ingestCpuMsAtRate', 'ingest CPU ms per commit at the rate', 'less'],
  ['workerCpuMsAtRate', 'worker CPU ms per commit at the rate', 'less'],
];

/**
 * A process's CPU ms per commit over a step of `seconds`: the ingest's per commit accepted, the
 * worker's per commit delivered in the step (a worker that fell behind did less of the work).
 */
function cpuMsPerCommit(step: StepResult, process: 'ingest' | 'worker 1', seconds: number): number {
  const usage = step.usage.find((u) => u.name === process);
  const commits = process === 'ingest' ? step.accepted : step.deliveredPerS * seconds;
  return usage === undefined ? NaN : (usage.cpuSeconds * 1000) / Math.max(1, commits);
}

const parsed = parseAbArgs(process.argv.slice(2));
if ('problem' in parsed) {
  process.stderr.write(`usage: pnpm bench:ab NAME=A,B [pairs ≥ 1] [rate > 0]: ${parsed.problem}\n`);
  process.exit(2);
}
const { name, values, pairs, rate } = parsed;
const progress = (line: string): void => void process.stdout.write(`${line}\n`);
const infra = await startBenchInfra({ tag: 'ab', progress });
const { ctx } = infra;
const results = new Map<string, Figures[]>(values.map((v) => [v, []]));
let lostTotal = 0;
try {
  progress('warming up the Kafka broker for 30 s');
  await warmUpBroker(ctx, 30_000);
  for (let pair = 1; pair <= pairs; pair++) {
    const order = pair % 2 === 1 ? values : [...values].reverse();
    for (const value of order) {
      const label = `${name.toLowerCase()}-${value}-${pair}`.replace(/[^a-z0-9-]/g, '-');
      const started = await startCommitlog(ctx, label, { workers: 1, env: { [name]: value } });
      try {
        await warmUp(ctx, started.target, label);
        const saturation = await runStep(
          ctx,
          started.target,
          { kind: 'closed', clients: 64, durationMs: SATURATION_MS },
          `${label}-sat`,
        );
        const fixed = await runStep(
          ctx,
          started.target,
          { kind: 'open', rate, durationMs: RATE_MS },
          `${label}-rate`,
        );
        const figures: Figures = {
          saturationDeliveredPerS: saturation.deliveredPerS,
          ingestCpuMsAtSaturation: cpuMsPerCommit(saturation, 'ingest', SATURATION_MS / 1000),
          workerCpuMsAtSaturation: cpuMsPerCommit(saturation, 'worker 1', SATURATION_MS / 1000),
          p50Ms: fixed.commitToKafka.p50,
          p99Ms: fixed.commitToKafka.p99,
          ingestCpuMsAtRate: cpuMsPerCommit(fixed, 'ingest', RATE_MS / 1000),
          workerCpuMsAtRate: cpuMsPerCommit(fixed, 'worker 1', RATE_MS / 1000),
        };
        results.get(value)!.push(figures);
        const lost = saturation.lost + fixed.lost;
        lostTotal += lost;
        progress(
          `  pair ${pair} ${name}=${value}: saturation ${figures.saturationDeliveredPerS.toFixed(0)}/s delivered ` +
            `(ingest ${figures.ingestCpuMsAtSaturation.toFixed(3)}, worker ${figures.workerCpuMsAtSaturation.toFixed(3)} ms/commit), ` +
            `${rate}/s p50 ${figures.p50Ms.toFixed(1)} p99 ${figures.p99Ms.toFixed(1)} ms ` +
            `(ingest ${figures.ingestCpuMsAtRate.toFixed(3)}, worker ${figures.workerCpuMsAtRate.toFixed(3)} ms/commit), lost ${lost}`,
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
const [first, second] = values;
const rows = FIGURES.map(([key, label, better]) => {
  const a = results.get(first)!.map((f) => f[key]);
  const b = results.get(second)!.map((f) => f[key]);
  const ahead = a.filter((x, i) => (better === 'more' ? x > b[i]! : x < b[i]!)).length;
  return [label, mean(a).toFixed(2), mean(b).toFixed(2), `${ahead} of ${a.length}`];
});
progress(
  `\n${textTable(['figure', `${name}=${first} (mean)`, `${name}=${second} (mean)`, `${first} ahead`], rows)}\nlost: ${lostTotal} (must be 0)`,
);
if (lostTotal > 0) process.exitCode = 1;
