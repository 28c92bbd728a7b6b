/**
 * `pnpm faults`: runs the whole fault matrix against real processes and prints one table.
 *
 *   pnpm faults              every row, full length (about half an hour)
 *   pnpm faults --only 4,5   the rows named
 *   pnpm faults --short      the short form (what `./commitlog test` runs)
 *   pnpm faults --soak       10 minutes of load with a random fault every minute
 *   pnpm faults --soak --seed N   the same, with the faults a soak that printed seed N chose
 *
 * Exit code 0 only when every row met its expectations. Every process a row starts is stopped at
 * the end of the row, on failure too.
 */
import { faultDetails, faultTable } from './fault-table.ts';
import { fullMatrix, shortForm } from './matrix.ts';
import type { RowResult, Scenario } from './row-result.ts';
import { soak } from './scenarios/soak.ts';

/** The scenarios the arguments name, or why they name none (a typo must not pass as a run). */
function chosen(args: readonly string[]): Scenario[] | string {
  if (args.includes('--soak')) {
    const at = args.indexOf('--seed');
    if (at < 0) return [soak({ minutes: 10, perSecond: 100 })];
    const seed = Number(args[at + 1]);
    if (!Number.isSafeInteger(seed) || seed < 0) {
      return `--seed takes a whole number of 0 or more (got ${JSON.stringify(args[at + 1] ?? '')})`;
    }
    return [soak({ minutes: 10, perSecond: 100, seed })];
  }
  const scenarios = args.includes('--short') ? shortForm() : fullMatrix();
  const only = args.indexOf('--only');
  if (only < 0) return scenarios;
  const rows = new Set((args[only + 1] ?? '').split(','));
  const unknown = [...rows].filter((row) => !scenarios.some((s) => s.row === row));
  if (unknown.length > 0) {
    const known = [...new Set(scenarios.map((s) => s.row))].join(', ');
    return `no row ${unknown.map((r) => JSON.stringify(r)).join(', ')} (rows: ${known})`;
  }
  return scenarios.filter((s) => rows.has(s.row));
}

async function main(): Promise<number> {
  const scenarios = chosen(process.argv.slice(2));
  if (typeof scenarios === 'string') {
    console.error(`faults: ${scenarios}`);
    return 2;
  }
  const results: RowResult[] = [];
  const started = Date.now();
  for (const scenario of scenarios) {
    const at = Date.now();
    console.log(`\n== row ${scenario.row}: ${scenario.title}`);
    try {
      const rows = await scenario.run({ log: (line) => console.log(`   ${line}`) });
      results.push(...rows);
      console.log(faultDetails(rows));
    } catch (error) {
      console.log(
        `   row ${scenario.row} could not run: ${(error as Error).stack ?? String(error)}`,
      );
      results.push({
        row: scenario.row,
        fault: scenario.title,
        accepted: undefined,
        delivered: undefined,
        lost: undefined,
        duplicates: undefined,
        failed: undefined,
        recoveryMs: undefined,
        notes: [],
        problems: [`did not run: ${(error as Error).message}`],
      });
    }
    console.log(`   (${Math.round((Date.now() - at) / 1000)} s)`);
  }
  console.log(`\n${faultTable(results)}\n`);
  console.log(faultDetails(results));
  console.log(`\n${results.length} rows in ${Math.round((Date.now() - started) / 1000)} s`);
  return results.every((r) => r.problems.length === 0) ? 0 : 1;
}

process.exitCode = await main();
