/**
 * `node bench/cpu-profile-top.ts FILE.cpuprofile [rows]`: the functions a V8 CPU profile (from
 * `CPU_PROFILE_DIR=… pnpm bench:latency`) spent most time in, by self time and by total time
 * (the function and what it called; a recursive function counted once per sample), and by
 * package. Plain text, for a terminal or a commit message, where DevTools is not at hand.
 */
import { readFile } from 'node:fs/promises';
import { num, textTable } from './lib/text-table.ts';
import { profileTotals, type CpuProfile } from './lib/cpu-profile.ts';

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/cpu-profile-top.ts FILE.cpuprofile [rows]\n');
  process.exit(2);
}
const rows = Number(rowsArg ?? 25);
const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
const { totalMs, functions, packages } = profileTotals(profile);
const share = (ms: number): string => `${num((100 * ms) / Math.max(totalMs, 1e-9))} %`;
const print = (line: string): void => void process.stdout.write(`${line}\n`);

print(`${file}: ${num(totalMs)} ms sampled\n`);
print(
  textTable(
    ['self ms', 'self', 'total', 'function'],
    [...functions]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, rows)
      .map((f) => [num(f.selfMs), share(f.selfMs), share(f.totalMs), f.name]),
  ),
);
print('');
print(
  textTable(
    ['total ms', 'total', 'self', 'function'],
    [...functions]
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, rows)
      .map((f) => [num(f.totalMs), share(f.totalMs), share(f.selfMs), f.name]),
  ),
);
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
