/**
 * `pnpm test`: every check this repo has, in one command (the README's second command).
 *
 * Steps: format check, lint (including the architecture boundaries), type check, the Erlang hook's
 * EUnit tests, then every Vitest tier (unit, integration against the real Redis and Kafka, end to
 * end). Every step runs even when an earlier one failed, so one run shows every problem. The last
 * line is the total, `tests: N passed, M failed`. Exit code 0 only when every step passed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitestReport = `${root}.artifacts/vitest-report.json`;

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

function vitestCounts(): Counts | undefined {
  try {
    const report = JSON.parse(readFileSync(vitestReport, 'utf8')) as {
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

const steps: Step[] = [
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
  {
    name: 'vitest (unit, int, e2e)',
    command: 'vitest',
    args: ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestReport}`],
    count: () => vitestCounts(),
  },
];

function run(step: Step): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, {
      cwd: step.cwd ?? root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1' },
    });
    let output = '';
    const keep = (chunk: Buffer, to: NodeJS.WriteStream): void => {
      output += chunk.toString();
      to.write(chunk);
    };
    child.stdout.on('data', (c: Buffer) => keep(c, process.stdout));
    child.stderr.on('data', (c: Buffer) => keep(c, process.stderr));
    child.once('error', (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'ENOENT'
          ? `${step.command} is not installed (bash .ci/run installs it; see README, Prerequisites)`
          : error.message;
      process.stderr.write(`test: ${step.name}: ${hint}\n`);
      resolve({ ok: false, output });
    });
    child.once('close', (code) => resolve({ ok: code === 0, output }));
  });
}

mkdirSync(`${root}.artifacts`, { recursive: true });
const results: { name: string; ok: boolean; seconds: number; counts: Counts | undefined }[] = [];
for (const step of steps) {
  process.stdout.write(`\n=== ${step.name}: ${[step.command, ...step.args].join(' ')}\n`);
  const started = performance.now();
  const { ok, output } = await run(step);
  const counts = step.count?.(output);
  results.push({ name: step.name, ok, seconds: (performance.now() - started) / 1000, counts });
}

const total: Counts = { passed: 0, failed: 0, skipped: 0 };
process.stdout.write('\n=== summary\n');
for (const r of results) {
  const counts = r.counts ? ` (${r.counts.passed} passed, ${r.counts.failed} failed)` : '';
  process.stdout.write(
    `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(24)} ${r.seconds.toFixed(1).padStart(6)} s${counts}\n`,
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
