/**
 * Runs one scenario of the short form inside Vitest and asserts its rows' outcomes: nothing lost
 * and every expectation of the row met. Durations are printed, never asserted.
 */
import { expect } from 'vitest';
import { faultDetails, faultTable } from '../fault-table.ts';
import type { Scenario } from '../row-result.ts';

export async function runShortRow(scenario: Scenario): Promise<void> {
  const results = await scenario.run({ log: () => undefined });
  console.log(`${faultTable(results)}\n${faultDetails(results)}`);
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) {
    expect({ row: result.row, problems: result.problems }).toEqual({
      row: result.row,
      problems: [],
    });
    // Row 4c (AOF everysec) may lose up to a second of writes; it reports them instead.
    if (result.row !== '4c') expect(result.lost).toBe(0);
  }
}

/** The short-form scenario of `row`. */
export function shortRow(scenarios: readonly Scenario[], row: string): Scenario {
  const scenario = scenarios.find((s) => s.row === row);
  if (!scenario) throw new Error(`no short-form scenario for row ${row}`);
  return scenario;
}
