/**
 * One line of the fault matrix: what a scenario did, what the oracle found, and which of the
 * row's expectations did not hold (`problems`; empty means the row passed).
 */
import type { LoadTally } from './fault-load.ts';
import type { DeliveryReport } from './fault-oracle.ts';

export interface RowResult {
  /** The matrix row, e.g. `4b`. */
  row: string;
  fault: string;
  /** Undefined where the row has no load (shown as –). */
  accepted: number | undefined;
  delivered: number | undefined;
  lost: number;
  duplicates: number | undefined;
  failed: number | undefined;
  /** Ms from the end of the fault until the backlog made before it was on Kafka. */
  recoveryMs: number | undefined;
  /** What else was measured (refusals by status, kills, ...). */
  notes: string[];
  problems: string[];
}

export interface Scenario {
  /** The matrix row number, as in the issue. */
  row: string;
  title: string;
  run(context: ScenarioContext): Promise<RowResult[]>;
}

export interface ScenarioContext {
  /** Progress lines (the runner prints them; tests drop them). */
  log: (line: string) => void;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** `503×12, 0×3`: refusals by status, for the notes. */
export function refusalNote(tally: LoadTally): string {
  const parts = [...tally.refusals]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status === 0 ? 'no answer' : status}×${n}`);
  return `refused: ${parts.length === 0 ? 'none' : parts.join(', ')}`;
}

/** Accepted commits the ingest answered as duplicates (a retry after a lost answer). */
export function dedupNote(tally: LoadTally): string {
  return `retries answered duplicate: ${tally.accepted.filter((a) => a.duplicate).length}`;
}

/**
 * The row's result with the expectations every row has: nothing accepted is lost, every commit
 * the load made was accepted in the end, nothing left unfinished, and (unless `allowFailed`)
 * nothing failed.
 */
export function rowResult(
  row: string,
  fault: string,
  tally: LoadTally,
  report: DeliveryReport,
  options: { allowLoss?: boolean; allowFailed?: boolean; notes?: string[] } = {},
): RowResult {
  const problems: string[] = [];
  if (report.lost.length > 0 && !options.allowLoss) {
    problems.push(`${report.lost.length} accepted commits lost, e.g. ${report.lost[0]}`);
  }
  if (report.failed !== 0 && !options.allowFailed) problems.push(`${report.failed} jobs failed`);
  if (report.unfinished !== 0) problems.push(`${report.unfinished} jobs still unfinished`);
  if (tally.abandoned > 0) problems.push(`${tally.abandoned} commits never accepted by the end`);
  return {
    row,
    fault,
    accepted: report.accepted,
    delivered: report.delivered,
    lost: report.lost.length,
    duplicates: report.duplicates,
    failed: report.failed,
    recoveryMs: report.recoveryMs,
    notes: [refusalNote(tally), ...(options.notes ?? [])],
    problems,
  };
}

/**
 * 2xx answers whose whole request fell inside one of `windows` (epoch ms): the ingest could not
 * have stored those commits then, so such an answer is a lie. Answers of `duplicate: true` are
 * left out when `newOnly` (a commit stored earlier may rightly be answered from a read).
 */
export function acceptedInside(
  tally: LoadTally,
  windows: readonly { from: number; to: number }[],
  newOnly = false,
): number {
  return tally.accepted.filter(
    (a) =>
      (!newOnly || !a.duplicate) && windows.some((w) => a.sentAt >= w.from && a.answeredAt <= w.to),
  ).length;
}
