/**
 * `pnpm test`: every check this repo has, in one command (the README's second command).
 *
 * First the shared Redis and Kafka are made to answer (the local ones started if nothing is
 * configured and nothing answers; stopped at the end if started here). Then the Erlang hook's
 * EUnit tests run alone: they hold the hook's production deadlines of a few hundred
 * milliseconds against real sockets, and the fault track below starved them into failing. Then
 * two tracks run at once, each step after the last:
 * - format check, lint (including the architecture boundaries), type check, then the Vitest
 *   tiers unit, integration (the real Redis and Kafka) and end to end;
 * - in a second Vitest process, the fault rows and the cluster tests, whose lines are prefixed
 *   with `faults │`. They spend most of their minutes starting engines of their own and waiting
 *   on outages they cause; run after the others they took 40 % of the suite's time.
 * Every step runs even when an earlier one failed, so one run shows every problem. The last line
 * is the total, `tests: N passed, M failed`. Exit code 0 only when every step passed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import setUpSharedServices from '../packages/testkit/src/global-setup.ts';
import { type VitestReport, vitestFailures } from './vitest-failures.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const report = (name: string): string => `${root}.artifacts/${name}.json`;

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  /** One line per failed test or file, for the summary (CI keeps only the output's tail). */
  failures?: string[];
}

interface Step {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Test counts from the step's own output, for steps that run tests. */
  count?: (output: string) => Counts | undefined;
  /** Run before the step: a Vitest step removes its last report, which a crash would leave. */
  before?: () => void;
}

function eunitCounts(output: string): Counts | undefined {
  const all = /All (\d+) tests passed/.exec(output);
  if (all) return { passed: Number(all[1]), failed: 0, skipped: 0 };
  const some = /Failed: (\d+)\.\s+Skipped: (\d+)\.\s+Passed: (\d+)\./.exec(output);
  if (some) return { failed: Number(some[1]), skipped: Number(some[2]), passed: Number(some[3]) };
  return undefined;
}

function vitestCounts(reportPath: string): Counts | undefined {
  try {
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as VitestReport;
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests + report.numTodoTests,
      failures: vitestFailures(report, root),
    };
  } catch {
    return undefined;
  }
}

function vitestStep(name: string, projects: string[], reportName: string): Step {
  const reportPath = report(reportName);
  return {
    name,
    command: 'vitest',
    args: [
      'run',
      ...projects.flatMap((p) => ['--project', p]),
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${reportPath}`,
    ],
    count: () => vitestCounts(reportPath),
    // A Vitest that dies before writing its report would have the last run's counts shown.
    before: () => rmSync(reportPath, { force: true }),
  };
}

/** Run first, on a machine doing nothing else (see the header). */
const alone: { prefix: string; steps: Step[] } = {
  prefix: '',
  steps: [
    {
      name: 'erlang hook (eunit)',
      command: 'rebar3',
      args: ['eunit'],
      cwd: `${root}apps/riak-hook`,
      count: eunitCounts,
    },
  ],
};

/** Each track runs its steps in order; the tracks run at the same time. */
const tracks: { prefix: string; steps: Step[] }[] = [
  {
    prefix: '',
    steps: [
      { name: 'format', command: 'prettier', args: ['--check', '--log-level', 'warn', '.'] },
      { name: 'lint', command: 'eslint', args: ['--max-warnings', '0', '.'] },
      { name: 'typecheck', command: 'tsc', args: ['-p', 'tsconfig.json'] },
      vitestStep('vitest (unit, int, e2e)', ['unit', 'int', 'e2e'], 'vitest-report'),
    ],
  },
  {
    prefix: 'faults │ ',
    steps: [vitestStep('vitest (faults, cluster)', ['faults', 'cluster'], 'vitest-faults-report')],
  },
];

/**
 * Writes a child's output through, whole lines only, each after `prefix` (empty for the main
 * track): a partial line waits for its end, so that the two tracks' lines never mix in one line.
 */
function prefixedWriter(prefix: string, to: NodeJS.WriteStream) {
  let partial = '';
  return {
    write(chunk: string): void {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (lines.length > 0) to.write(lines.map((line) => `${prefix}${line}\n`).join(''));
    },
    end(): void {
      if (partial !== '') to.write(`${prefix}${partial}\n`);
      partial = '';
    },
  };
}

/** The steps running now, stopped with this process (see `stopOnSignal`). */
const running = new Set<ReturnType<typeof spawn>>();

function run(step: Step, prefix: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, {
      cwd: step.cwd ?? root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1' },
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    let output = '';
    const out = prefixedWriter(prefix, process.stdout);
    const err = prefixedWriter(prefix, process.stderr);
    const keep = (chunk: string, to: ReturnType<typeof prefixedWriter>): void => {
      output += chunk;
      to.write(chunk);
    };
    // Decoded per stream, so that a character split between two chunks stays whole.
    child.stdout.setEncoding('utf8').on('data', (c: string) => keep(c, out));
    child.stderr.setEncoding('utf8').on('data', (c: string) => keep(c, err));
    child.once('error', (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'ENOENT'
          ? `${step.command} is not installed (bash .ci/run installs it; see README, Prerequisites)`
          : error.message;
      process.stderr.write(`${prefix}test: ${step.name}: ${hint}\n`);
      resolve({ ok: false, output });
    });
    child.once('close', (code) => {
      out.end();
      err.end();
      resolve({ ok: code === 0, output });
    });
  });
}

mkdirSync(`${root}.artifacts`, { recursive: true });
interface Result {
  name: string;
  ok: boolean;
  seconds: number;
  counts: Counts | undefined;
}

async function runTrack(track: (typeof tracks)[number]): Promise<Result[]> {
  const done: Result[] = [];
  for (const step of track.steps) {
    process.stdout.write(
      `\n${track.prefix}=== ${step.name}: ${[step.command, ...step.args].join(' ')}\n`,
    );
    const started = performance.now();
    step.before?.();
    const { ok, output } = await run(step, track.prefix);
    const counts = step.count?.(output);
    done.push({ name: step.name, ok, seconds: (performance.now() - started) / 1000, counts });
  }
  return done;
}

/**
 * Done once here, not by each Vitest process's global set-up (which then finds them answering):
 * two processes would race to start the same broker, and the first to end would stop it under
 * the other.
 */
async function sharedServices(): Promise<{ result: Result; stop?: () => void }> {
  process.stdout.write('\n=== shared services: Redis and Kafka\n');
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  try {
    const stop = await setUpSharedServices();
    return {
      result: { name: 'shared services', ok: true, seconds: seconds(), counts: undefined },
      stop,
    };
  } catch (error) {
    process.stderr.write(`test: shared services: ${(error as Error).message}\n`);
    return {
      result: { name: 'shared services', ok: false, seconds: seconds(), counts: undefined },
    };
  }
}

/**
 * Ctrl-C or a SIGTERM (a CI job cancelled) stops the steps running and the Redis and Kafka this
 * run started, then exits 130 or 143: without it they were left running, and the next run, finding
 * them up, took them for someone else's and never stopped them.
 */
let stopServices: (() => void) | undefined;
function stopOnSignal(signal: NodeJS.Signals, code: number): void {
  process.once(signal, () => {
    process.stderr.write(
      `\ntest: ${signal}: stopping the running steps and what this run started\n`,
    );
    for (const child of running) child.kill(signal);
    try {
      stopServices?.();
    } finally {
      process.exit(code);
    }
  });
}
stopOnSignal('SIGINT', 130);
stopOnSignal('SIGTERM', 143);

const services = await sharedServices();
stopServices = services.stop;
const first = await runTrack(alone);
const results = [services.result, ...first, ...(await Promise.all(tracks.map(runTrack))).flat()];
try {
  stopServices = undefined;
  services.stop?.();
} catch (error) {
  process.stderr.write(`test: stopping the shared services: ${(error as Error).message}\n`);
}

const total: Counts = { passed: 0, failed: 0, skipped: 0 };
process.stdout.write('\n=== summary\n');
for (const r of results) {
  const counts = r.counts ? ` (${r.counts.passed} passed, ${r.counts.failed} failed)` : '';
  process.stdout.write(
    `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(34)} ${r.seconds.toFixed(1).padStart(6)} s${counts}\n`,
  );
  for (const failure of r.counts?.failures ?? []) process.stdout.write(`        ✗ ${failure}\n`);
  if (r.counts) {
    total.passed += r.counts.passed;
    total.failed += r.counts.failed;
    total.skipped += r.counts.skipped;
  }
  // A step that failed without a test failing (lint, a crash) still counts as one failure.
  if (!r.ok && (!r.counts || r.counts.failed === 0)) total.failed += 1;
}
const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : '';
process.stdout.write(`tests: ${total.passed} passed, ${total.failed} failed${skipped}\n`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
