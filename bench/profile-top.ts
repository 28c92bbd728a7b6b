/**
 * `node bench/profile-top.ts FILE [rows] [commits]`: where a V8 profile from
 * `pnpm bench:latency` went, by function (self, and total: the function and what it called, a
 * recursion counted once) and by package. FILE is a CPU profile (`.cpuprofile`, from
 * CPU_PROFILE_DIR: milliseconds) or a sampling heap profile (`.heapprofile`, from
 * ALLOC_PROFILE_DIR: bytes allocated). With `commits`, the commits the process handled in the
 * profile, the figures are per commit. Plain text, for a terminal or a commit message, where
 * DevTools is not at hand.
 */
import { readFile } from 'node:fs/promises';
import { num, textTable } from './lib/text-table.ts';
import { cpuProfileTotals, isCpuProfile } from './lib/cpu-profile.ts';
import { allocationTotals, isHeapProfile } from './lib/heap-profile.ts';
import type { ProfileTotals } from './lib/profile-totals.ts';

const USAGE =
  'usage: node bench/profile-top.ts FILE.cpuprofile|FILE.heapprofile [rows ≥ 1] [commits ≥ 1]';
const fail = (line: string): never => {
  process.stderr.write(`${line}\n`);
  process.exit(2);
};
const [file, rowsArg = '25', commitsArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const commits = commitsArg === undefined ? undefined : Number(commitsArg);
if (!file) fail(USAGE);
if (!Number.isInteger(rows) || rows < 1)
  fail(`${USAGE}: rows "${rowsArg}" is not a whole number ≥ 1`);
if (commits !== undefined && !(Number.isInteger(commits) && commits >= 1))
  fail(`${USAGE}: commits "${commitsArg}" is not a whole number ≥ 1`);
const parsed: unknown = await readFile(file!, 'utf8')
  .then((text) => JSON.parse(text) as unknown)
  .catch((error: unknown) => fail(`${file}: not a readable profile (${(error as Error).message})`));
let totals: ProfileTotals;
if (isCpuProfile(parsed)) totals = cpuProfileTotals(parsed);
else if (isHeapProfile(parsed)) totals = allocationTotals(parsed);
else totals = fail(`${file}: neither a V8 CPU profile (nodes, samples) nor a heap profile (head)`);

const { unit, total, idle, functions, packages } = totals;
/** A figure in the profile's unit, per commit when commits were given (bytes: KB each, else MB). */
const scale = unit === 'bytes' ? (commits === undefined ? 1024 * 1024 : 1024) : 1;
const amount = (n: number): string => num(n / (commits ?? 1) / scale);
const label = `${unit === 'bytes' ? (commits === undefined ? 'MB' : 'KB') : 'ms'}${commits === undefined ? '' : ' per commit'}`;
const share = (n: number): string => `${num((100 * n) / Math.max(total, 1e-9))} %`;
const print = (line: string): void => void process.stdout.write(`${line}\n`);
// Piped into `head`: a reader that stops early ends the output, not in a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

print(
  unit === 'bytes'
    ? `${file}: ${amount(total)} ${label} allocated`
    : `${file}: ${amount(total)} ${label} busy, ${amount(idle)} ${label} idle (shares are of the busy time)`,
);
print('');
/** The functions by one figure, largest first, with the other beside it. */
const by = (sort: 'self' | 'total'): string => {
  const other = sort === 'self' ? 'total' : 'self';
  return textTable(
    [`${sort} ${label}`, sort, other, 'function'],
    [...functions]
      .sort((a, b) => b[sort] - a[sort])
      .slice(0, rows)
      .map((f) => [amount(f[sort]), share(f[sort]), share(f[other]), f.name]),
  );
};
print(by('self'));
print('');
print(by('total'));
print('');
print(
  textTable(
    [`self ${label}`, 'self', 'package'],
    [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(([name, n]) => [amount(n), share(n), name]),
  ),
);
