/**
 * `pnpm bench:hook-failure-log [lines] [concurrency...]`: what a failure-log line costs the Riak
 * hook while the ingest is away and every put of a node goes to the log. For each concurrency
 * (puts failing at once; default 1, 10 and 100), the same lines are written first as the hook
 * wrote them before 2026-12-06 (each put process its own write and flush) and then through the
 * node's group writer (`commitlog_failure_writer`: the lines that come while a flush runs share
 * the next one), both in the same run, to a file in a temporary directory on this machine's disk.
 * Prints lines per second, median and p99 wait per line (microseconds), and the ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHook, runWithHook } from './lib/hook-erl.ts';

const lines = Number(process.argv[2] ?? 4000);
const concurrencies = process.argv.slice(3).map(Number);
const levels = concurrencies.length > 0 ? concurrencies : [1, 10, 100];
if (!Number.isInteger(lines) || lines < 1 || levels.some((c) => !Number.isInteger(c) || c < 1)) {
  throw new Error(
    'usage: pnpm bench:hook-failure-log [lines] [concurrency...] (whole numbers ≥ 1)',
  );
}
buildHook();

const dir = mkdtempSync(join(tmpdir(), 'commitlog-hook-failure-log-'));
try {
  const path = join(dir, 'failed.jsonl');
  process.stdout.write(`failure-log lines: ${lines} per run, to ${dir}\n`);
  for (const procs of levels) {
    const expression = `commitlog_hook_bench:failure_log(${procs}, ${Math.max(lines, procs)}, "${path}")`;
    process.stdout.write(`${procs} at once: ${runWithHook(expression)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
