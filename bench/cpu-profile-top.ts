/**
 * `node bench/cpu-profile-top.ts FILE.cpuprofile [rows]`: the functions a V8 CPU profile (from
 * `CPU_PROFILE_DIR=… pnpm bench:latency`) spent most time in, by self time and by total time
 * (the function and what it called; a recursive function counted once per sample), and by
 * package. Plain text, for a terminal or a commit message, where DevTools is not at hand.
 */
import { readFile } from 'node:fs/promises';
import { num, textTable } from './lib/text-table.ts';
import { profileTotals, type CpuProfile } from './lib/cpu-profile.ts';

const USAGE = 'usage: node bench/cpu-profile-top.ts FILE.cpuprofile [rows ≥ 1]';
const fail = (line: string): never => {
  process.stderr.write(`${line}\n`);
  process.exit(2);
};
const [file, rowsArg = '25'] = process.argv.slice(2);
const rows = Number(rowsArg);
if (!file) fail(USAGE);
if (!Number.isInteger(rows) || rows < 1)
  fail(`${USAGE}: rows "${rowsArg}" is not a whole number ≥ 1`);
const profile = await readFile(file!, 'utf8')
  .then((text) => JSON.parse(text) as CpuProfile)
  .catch((error: unknown) =>
    fail(`${file}: not a readable CPU profile (${(error as Error).message})`),
  );
if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples)) {
  fail(`${file}: not a V8 CPU profile (no nodes and samples)`);
}
const { totalMs, idleMs, functions, packages } = profileTotals(profile);
const share = (ms: number): string => `${num((100 * ms) / Math.max(totalMs, 1e-9))} %`;
const print = (line: string): void => void process.stdout.write(`${line}\n`);
// Piped into `head`: a reader that stops early ends the output, not in a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

print(`${file}: ${num(totalMs)} ms busy, ${num(idleMs)} ms idle (shares are of the busy time)\n`);
/** The functions by one time, largest first, with the other time beside it. */
const byTime = (sort: 'selfMs' | 'totalMs'): string => {
  const [first, second] = sort === 'selfMs' ? ['self', 'total'] : ['total', 'self'];
  const other = sort === 'selfMs' ? 'totalMs' : 'selfMs';
  return textTable(
    [`${first} ms`, first, second, 'function'],
    [...functions]
      .sort((a, b) => b[sort] - a[sort])
      .slice(0, rows)
      .map((f) => [num(f[sort]), share(f[sort]), share(f[other]), f.name]),
  );
};
print(byTime('selfMs'));
print('');
print(byTime('totalMs'));
print('');
print(
  textTable(
    ['self ms', 'self', 'package'],
    [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(([name, ms]) => [num(ms), share(ms), name]),
  ),
);
