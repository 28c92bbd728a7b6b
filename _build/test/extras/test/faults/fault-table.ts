/** The matrix as one text table: fault, accepted, delivered, lost, duplicates, recovery. */
import type { RowResult } from './row-result.ts';

const COLUMNS = [
  'row',
  'fault',
  'accepted',
  'delivered',
  'lost',
  'duplicates',
  'failed',
  'recovery',
  'result',
];

const cell = (value: number | undefined): string => (value === undefined ? '–' : String(value));

export function recoveryText(ms: number | undefined): string {
  return ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`;
}

function cells(r: RowResult): string[] {
  return [
    r.row,
    r.fault,
    cell(r.accepted),
    cell(r.delivered),
    cell(r.lost),
    cell(r.duplicates),
    cell(r.failed),
    recoveryText(r.recoveryMs),
    r.problems.length === 0 ? 'pass' : 'FAIL',
  ];
}

/** A Markdown table (it reads as well in a terminal as in the README). */
export function faultTable(results: readonly RowResult[]): string {
  const rows = [COLUMNS, ...results.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`;
  return [line(COLUMNS), rule, ...rows.slice(1).map(line)].join('\n');
}

/** Notes and problems under the table, one line each. */
export function faultDetails(results: readonly RowResult[]): string {
  return results
    .flatMap((r) => [
      `row ${r.row} (${r.fault}): ${r.notes.join('; ')}`,
      ...r.problems.map((p) => `  PROBLEM: ${p}`),
    ])
    .join('\n');
}
