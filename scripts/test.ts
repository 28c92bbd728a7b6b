/**
 * `pnpm test`: every check this repo has, in one command (the README's second command).
 *
 * Steps: format check, lint (including the architecture boundaries), type check, the Erlang hook's
 * EUnit tests, then the Vitest tiers (unit, integration against the real Redis and Kafka, end to
 * end, cluster). The fault rows (the `faults` project) run from the start in a second Vitest
 * process beside those steps: they spend most of their minutes waiting on outages they cause,
 * against a Redis and a broker of their own, and run one after another they took a third of the
 * suite's time. Their lines are prefixed with `faults │`. Every step runs even when an earlier
 * one failed, so one run shows every problem. The last line is the total, `tests: N passed, M
 * failed`. Exit code 0 only when every step passed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const report = (name: string): string => `${root}.artifacts/${name}.json`;

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

interface Step {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Test counts from the step's own output, for steps that run tests. */
  count?: (output: string) => Counts | undefined;
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
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
    };
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests + report.numTodoTests,
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
  };
}

/** Each track runs its steps in order; the tracks run at the same time. */
const tracks: { prefix: string; steps: Step[] }[] = [
  {
    prefix: '',
    steps: [
      { name: 'format', command: 'prettier', args: ['--check', '--log-level', 'warn', '.'] },
      { name: 'lint', command: 'eslint', args: ['--max-warnings', '0', '.'] },
      { name: 'typecheck', command: 'tsc', args: ['-p', 'tsconfig.json'] },
      {
        name: 'erlang hook (eunit)',
        command: 'rebar3',
        args: ['eunit'],
        cwd: `${root}apps/riak-hook`,
        count: eunitCounts,
      },
      vitestStep(
        'vitest (unit, int, e2e, cluster)',
        ['unit', 'int', 'e2e', 'cluster'],
        'vitest-report',
      ),
    ],
  },
  {
    prefix: 'faults │ ',
    steps: [vitestStep('vitest (faults)', ['faults'], 'vitest-faults-report')],
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

function run(step: Step, prefix: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, {
      cwd: step.cwd ?? root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1' },
    });
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
    const { ok, output } = await run(step, track.prefix);
    const counts = step.count?.(output);
    done.push({ name: step.name, ok, seconds: (performance.now() - started) / 1000, counts });
  }
  return done;
}

const results = (await Promise.all(tracks.map(runTrack))).flat();

const total: Counts = { passed: 0, failed: 0, skipped: 0 };
process.stdout.write('\n=== summary\n');
for (const r of results) {
  const counts = r.counts ? ` (${r.counts.passed} passed, ${r.counts.failed} failed)` : '';
  process.stdout.write(
    `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(34)} ${r.seconds.toFixed(1).padStart(6)} s${counts}\n`,
  );
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
