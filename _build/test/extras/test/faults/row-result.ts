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
  /** Accepted commits missing from Kafka; undefined where the row has nothing to lose (–). */
  lost: number | undefined;
  /**
   * Of `lost`, those the row's loss window allows (row 4c: answered just before a `kill -9` of a
   * Redis with `appendfsync everysec`); absent where the row allows no loss. Every other lost
   * commit is one of `problems`.
   */
  lostAllowed?: number;
  duplicates: number | undefined;
  failed: number | undefined;
  /** Ms from the end of the fault until the backlog made before it was on Kafka. */
  recoveryMs: number | undefined;
  /** What else was measured (refusals by status, kills, ...). */
  notes: string[];
  problems: string[];
  /** Row 10's own measurements (it has no load, hence no loss): the short form asserts them. */
  hostile?: HostileOutcome;
}

/** What row 10 measured (hostile-input.ts). */
export interface HostileOutcome {
  /** Each hostile request: the status the ingest answered and the 4xx it must be refused with. */
  requests: { name: string; status: number; expected: readonly number[] }[];
  /** What each slowloris client got: a status (`408`), `closed`, or `open` (never cut off). */
  slowClients: string[];
  /** The valid commit posted among the slow clients, and its identical replays. */
  valid: number;
  replays: number[];
  /** Jobs in Redis at the end: the valid commit's alone. */
  jobsStored: number;
  /** The ingest process had not exited, and what its /healthz answered. */
  ingestAlive: boolean;
  healthz: number;
}

/**
 * A span (epoch ms) in which a row may lose accepted commits: a commit whose first 2xx came
 * inside it may be missing from Kafka; one answered outside it may not.
 */
export interface LossWindow {
  from: number;
  to: number;
  /** Why, for the notes and problems (`answered within 2.5 s before the kill -9`). */
  why: string;
}

/**
 * The lost commits split by their answer: `allowed` were first answered 2xx inside `window`,
 * `outside` were not (each of those is a failure of the row). Without a window none is allowed.
 */
export function splitLoss(
  tally: LoadTally,
  lost: readonly string[],
  window?: LossWindow,
): { allowed: string[]; outside: string[] } {
  const firstAnswer = new Map<string, number>();
  for (const a of tally.accepted) {
    firstAnswer.set(a.id, Math.min(firstAnswer.get(a.id) ?? Infinity, a.answeredAt));
  }
  const allowed: string[] = [];
  const outside: string[] = [];
  for (const id of lost) {
    const at = firstAnswer.get(id);
    const inside = window !== undefined && at !== undefined && at >= window.from && at <= window.to;
    (inside ? allowed : outside).push(id);
  }
  return { allowed, outside };
}

/**
 * Tracks whether a role process is still running. Call it when the process starts: the flag
 * turns false once `exited` resolves, so a check made later sees an exit that already happened.
 * (`Promise.race([exited.then(() => false), Promise.resolve(true)])` cannot: the resolved
 * `true` always wins the race, even when the process exited long before.)
 */
export function watchAlive(process: { exited: Promise<unknown> }): () => boolean {
  let alive = true;
  void process.exited.then(
    () => (alive = false),
    () => (alive = false),
  );
  return () => alive;
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
 * The row's result with the expectations every row has: nothing accepted is lost (but for
 * commits answered inside `lossWindow`), every commit the load made was accepted in the end,
 * nothing left unfinished, (unless `allowFailed`) nothing failed, and per-key order held: no old
 * copy of a commit landed after a newer one of its key except as the start of an in-order replay
 * (`staleCopies`), on every key but those that lost a commit inside `lossWindow`.
 */
export function rowResult(
  row: string,
  fault: string,
  tally: LoadTally,
  report: DeliveryReport,
  options: { lossWindow?: LossWindow; allowFailed?: boolean; notes?: string[] } = {},
): RowResult {
  const problems: string[] = [];
  const loss = splitLoss(tally, report.lost, options.lossWindow);
  if (loss.outside.length > 0) {
    const where = options.lossWindow ? ` not ${options.lossWindow.why}` : '';
    problems.push(`${loss.outside.length} accepted commits lost${where}, e.g. ${loss.outside[0]}`);
  }
  if (report.failed !== 0 && !options.allowFailed) problems.push(`${report.failed} jobs failed`);
  if (report.unfinished !== 0) problems.push(`${report.unfinished} jobs still unfinished`);
  if (tally.abandoned > 0) problems.push(`${tally.abandoned} commits never accepted by the end`);
  const allowedLost = new Set(loss.allowed);
  const keysLosingAllowed = new Set(
    [...tally.perKey].flatMap(([key, ids]) => (ids.some((id) => allowedLost.has(id)) ? [key] : [])),
  );
  for (const stale of report.staleCopies) {
    if (![...keysLosingAllowed].some((key) => stale.startsWith(`key ${key}:`))) {
      problems.push(`out of order: ${stale}`);
    }
  }
  return {
    row,
    fault,
    accepted: report.accepted,
    delivered: report.delivered,
    lost: report.lost.length,
    ...(options.lossWindow ? { lostAllowed: loss.allowed.length } : {}),
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
