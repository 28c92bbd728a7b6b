/**
 * `pnpm bench:latency [rates] [seconds]`: where commitlog's commit→Kafka time goes, at fixed
 * open-loop rates (default 100,200,400/s for 10 s each) on a private Redis (AOF, fsync always) and
 * Kafka broker. For each rate: the latency of each stage (lib/latency-breakdown.ts) and, per
 * process, CPU per commit, how often its threads were woken and preempted per commit
 * (lib/proc-sampler.ts), GC pauses and event-loop lateness (lib/loop-watch.ts), and peak
 * resident memory; and the Redis commands each commit costs (lib/redis-command-stats.ts). Not the benchmark (no baselines, no ladder): the tool to find out why a p99
 * is what it is.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchInfra } from './lib/bench-infra.ts';
import { warmUpBroker } from './lib/broker-warm-up.ts';
import {
  latencyBreakdown,
  RECEIVED_AT_HEADER,
  type LatencyBreakdown,
} from './lib/latency-breakdown.ts';
import {
  parseLoopSamples,
  startLoopWatch,
  summarizeLoop,
  type LoopSample,
} from './lib/loop-watch.ts';
import {
  readRedisCommandStats,
  resetRedisCommandStats,
  type RedisCommandStat,
} from './lib/redis-command-stats.ts';
import { runStep, warmUp } from './lib/step-runner.ts';
import { PRIMER_COMMITS } from './lib/step-primer.ts';
import { rateArgsOrExit } from './lib/rate-args.ts';
import { num, textTable } from './lib/text-table.ts';
import { startCommitlog, stopAllSystems } from './scenarios/commitlog-target.ts';

const { rates, seconds } = rateArgsOrExit(
  'usage: pnpm bench:latency [rates, e.g. 100,200,400] [seconds per rate]',
  { rates: '100,200,400', seconds: '10' },
);

const progress = (line: string): void => void process.stdout.write(`${line}\n`);
const preload = fileURLToPath(new URL('lib/loop-watch-preload.ts', import.meta.url));
const watchDir = await mkdtemp(join(tmpdir(), 'commitlog-loop-watch-'));
const ownSamples: LoopSample[] = [];
const ownWatch = startLoopWatch((s) => ownSamples.push(s));
const infra = await startBenchInfra({ tag: 'latency', progress });
let lost = 0;
/** Every commit the roles accepted, for the per-commit figures of their profiles. */
let handled = 0;
try {
  const { ctx } = infra;
  progress('warming up the Kafka broker for 15 s');
  await warmUpBroker(ctx, 15_000);
  const started = await startCommitlog(ctx, 'latency', {
    workers: 1,
    env: {
      NODE_OPTIONS: `--import=${preload}${cpuProfileOption()}${allocProfileOption()}`,
      LOOP_WATCH_DIR: watchDir,
      ...(process.env.ALLOC_PROFILE_DIR
        ? { ALLOC_PROFILE_DIR: resolve(process.env.ALLOC_PROFILE_DIR) }
        : {}),
    },
  });
  const roles = started.target.processes();
  handled += (await warmUp(ctx, started.target, 'latency')).accepted + PRIMER_COMMITS;
  for (const rate of rates) {
    let breakdown: LatencyBreakdown | undefined;
    const step = await runStep(
      ctx,
      started.target,
      { kind: 'open', rate, durationMs: seconds * 1000 },
      `latency-${rate}`,
      {
        alsoHeaders: [RECEIVED_AT_HEADER],
        inspect: (sent, stamps) => (breakdown = latencyBreakdown(sent, stamps)),
        // After the primers: their burst is neither in the figures nor in the Redis calls.
        beforeLoad: () => resetRedisCommandStats(ctx.redis.connection),
      },
    );
    const { start: from, end: to } = step.loadWindow;
    const commands = await readRedisCommandStats(ctx.redis.connection);
    lost += step.lost;
    handled += step.accepted + PRIMER_COMMITS;
    const loops = new Map<number, LoopSample[]>([[process.pid, ownSamples]]);
    for (const file of await readdir(watchDir)) {
      loops.set(
        Number(file.split('.')[0]),
        parseLoopSamples(await readFile(join(watchDir, file), 'utf8')),
      );
    }
    const pids: Record<string, number | undefined> = {
      ...roles,
      loadgen: process.pid,
    };
    const verdict = step.sustainable ? 'keeps up' : `does NOT keep up: ${step.reasons.join('; ')}`;
    progress(
      `\n${rate}/s for ${seconds} s: ${step.accepted} accepted, ${breakdown?.matched ?? 0} matched in Kafka, lost ${step.lost}, duplicates ${step.duplicates}; ${verdict}`,
    );
    progress(
      textTable(
        ['stage', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms'],
        (breakdown?.stages ?? []).map(({ stage, latency: l }) => [
          stage,
          num(l.p50),
          num(l.p99),
          num(l.p999),
          num(l.max),
        ]),
      ),
    );
    progress(
      textTable(
        [
          'process',
          'CPU ms per commit',
          'wake-ups per commit',
          'preempted per commit',
          'GC ms per s',
          'longest GC ms',
          'loop late p99 ms',
          'loop late max ms',
          'peak RSS MiB',
        ],
        step.usage.map((u) => {
          const pid = pids[u.name];
          const loop =
            pid === undefined ? undefined : summarizeLoop(loops.get(pid) ?? [], from, to);
          return [
            u.name,
            num((u.cpuSeconds * 1000) / Math.max(1, step.accepted)),
            num(u.wakeUps / Math.max(1, step.accepted)),
            num(u.preemptions / Math.max(1, step.accepted)),
            loop ? num(loop.gcMsPerS) : '—',
            loop ? num(loop.gcMaxMs) : '—',
            loop ? num(loop.delayP99Ms) : '—',
            loop ? num(loop.delayMaxMs) : '—',
            num(u.peakRssBytes / 2 ** 20),
          ];
        }),
      ),
    );
    progress(redisCommandTable(commands, step.accepted));
  }
  await started.stop();
} finally {
  ownWatch.stop();
  await stopAllSystems();
  await infra.stop();
  await rm(watchDir, { recursive: true, force: true });
}
progress(`\nlost: ${lost} (must be 0). GC and loop figures exist for the Node processes only.`);
if (process.env.CPU_PROFILE_DIR || process.env.ALLOC_PROFILE_DIR) {
  progress(
    `the roles' profiles cover ${handled} accepted commits (the warm-up's, the primers' and the steps'): node bench/profile-top.ts FILE 25 ${handled}`,
  );
}
if (lost > 0) process.exitCode = 1;

/**
 * With CPU_PROFILE_DIR set, each role writes a V8 CPU profile there when it stops (open it in
 * Chrome DevTools' Performance panel, or summarize it with `node bench/profile-top.ts`). A
 * profile covers the role's whole life: its start-up, the warm-up and every rate of the run, so
 * profile one rate at a time. The profiler costs CPU: that run's figures are not comparable.
 */
function cpuProfileOption(): string {
  const dir = process.env.CPU_PROFILE_DIR;
  if (!dir) return '';
  progress(
    `CPU_PROFILE_DIR: the roles write CPU profiles to ${resolve(dir)} as they stop; this run's CPU and latency figures include the profiler's cost`,
  );
  return ` --cpu-prof --cpu-prof-dir="${resolve(dir)}"`;
}

/**
 * With ALLOC_PROFILE_DIR set, each role samples what it allocates (the objects collected since
 * included) and writes a `.heapprofile` there when it stops (`lib/alloc-profile-preload.ts`);
 * `node bench/profile-top.ts FILE [rows] [commits]` summarizes it. Like a CPU profile it covers
 * the role's whole life, and costs CPU and memory: that run's figures are not comparable.
 */
function allocProfileOption(): string {
  const dir = process.env.ALLOC_PROFILE_DIR;
  if (!dir) return '';
  mkdirSync(resolve(dir), { recursive: true });
  progress(
    `ALLOC_PROFILE_DIR: the roles write allocation profiles to ${resolve(dir)} as they stop; this run's CPU, memory and latency figures include the profiler's cost`,
  );
  return ` --import=${fileURLToPath(new URL('lib/alloc-profile-preload.ts', import.meta.url))}`;
}

/** The commands that took most of Redis's time, per accepted commit (the read-back's included). */
function redisCommandTable(commands: RedisCommandStat[], accepted: number): string {
  const per = Math.max(1, accepted);
  return textTable(
    ['Redis command', 'calls per commit', 'µs per commit', 'µs per call'],
    commands
      .slice(0, 12)
      .map((c) => [
        c.command,
        num(c.calls / per),
        num(c.usec / per),
        num(c.usec / Math.max(1, c.calls)),
      ]),
  );
}
