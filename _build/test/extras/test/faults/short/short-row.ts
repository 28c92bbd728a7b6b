/**
 * Runs one scenario of the short form inside Vitest and asserts its rows' outcomes: every
 * expectation of the row met, nothing lost but what the row's loss window allows (row 4c), and,
 * for a row without load (row 10), what it measured instead. Durations are printed, never
 * asserted.
 */
import { expect } from 'vitest';
import { faultDetails, faultTable } from '../fault-table.ts';
import { hostileRequests } from '../hostile-requests.ts';
import type { HostileOutcome, RowResult, Scenario } from '../row-result.ts';

export async function runShortRow(scenario: Scenario): Promise<void> {
  const results = await scenario.run({ log: () => undefined });
  console.log(`${faultTable(results)}\n${faultDetails(results)}`);
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) expectRowMet(result);
}

/** The assertions on one row's result (exported for the tests of the fault tooling). */
export function expectRowMet(result: RowResult): void {
  expect({ row: result.row, problems: result.problems }).toEqual({
    row: result.row,
    problems: [],
  });
  if (result.lost === undefined) {
    // Nothing to lose (row 10): the row must say what it checked instead.
    expect(
      result.hostile,
      `row ${result.row}: neither a loss count nor its own checks`,
    ).toBeDefined();
    expectHostileRefused(result.hostile!);
    return;
  }
  // Only commits answered inside the row's loss window (row 4c: just before a kill -9 of a Redis
  // with appendfsync everysec) may be missing; rowResult counts them in `lostAllowed`.
  if (result.lostAllowed !== undefined) expect(result.row).toBe('4c');
  expect({ row: result.row, lostOutsideWindow: result.lost - (result.lostAllowed ?? 0) }).toEqual({
    row: result.row,
    lostOutsideWindow: 0,
  });
}

/** The names of every hostile request (built once: a few of them are megabytes). */
let hostileKinds: string[] | undefined;

/**
 * Row 10: every hostile request refused with its 4xx, every slowloris client cut off, a valid
 * commit (and its replays) still served, nothing stored but that one commit, and the ingest alive.
 */
function expectHostileRefused(hostile: HostileOutcome): void {
  hostileKinds ??= hostileRequests('secret', 'bucket').map((r) => r.name);
  expect(hostile.requests.map((r) => r.name)).toEqual(hostileKinds);
  for (const r of hostile.requests) {
    expect(r.expected.every((s) => s >= 400 && s < 500)).toBe(true);
    expect(r.expected, `${r.name}: answered ${r.status}`).toContain(r.status);
  }
  expect(hostile.slowClients.length).toBeGreaterThan(0);
  expect(hostile.slowClients).not.toContain('open');
  expect({ valid: hostile.valid, replays: hostile.replays }).toEqual({
    valid: 202,
    replays: [202, 202],
  });
  expect(hostile.jobsStored).toBe(1);
  expect({ alive: hostile.ingestAlive, healthz: hostile.healthz }).toEqual({
    alive: true,
    healthz: 200,
  });
}

/** The short-form scenario of `row`. */
export function shortRow(scenarios: readonly Scenario[], row: string): Scenario {
  const scenario = scenarios.find((s) => s.row === row);
  if (!scenario) throw new Error(`no short-form scenario for row ${row}`);
  return scenario;
}
