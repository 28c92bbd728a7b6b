/**
 * What `commitlog requeue` says about the ingest's answers and its run: the words, apart from
 * the replay itself (requeue.ts).
 */
import type { IngestAnswer } from '../ingest-client.ts';

/**
 * The summary's note on commits the ingest already had. Its answer cannot say whether such a
 * commit was delivered, is on its way or failed, and a failed one is not re-driven by a requeue.
 */
export function earlier(duplicates: number): string {
  if (duplicates === 0) return '';
  return (
    ` (${duplicates} of them accepted before: delivered, on their way or failed; ` +
    '`commitlog status` lists failed deliveries and `commitlog redrive` sends them again)'
  );
}

/** A wait for people: `0.5s`, `8s`. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/** The `error` of an answer's JSON body, if it has one. */
function errorOf(answer: IngestAnswer): { code?: string; message?: string } | undefined {
  const body = answer.body as { error?: { code?: string; message?: string } } | undefined;
  return typeof body === 'object' && body !== null ? body.error : undefined;
}

/** The most line numbers one summary names; each line was also named as it was met. */
const LINES_NAMED = 20;

/** ` (lines 3, 7)`, ` (lines 1, …, 20 and 980 more)`, or nothing for no lines. */
export function lineList(numbers: readonly number[]): string {
  if (numbers.length === 0) return '';
  const named = numbers.slice(0, LINES_NAMED).join(', ');
  const more = numbers.length - LINES_NAMED;
  return ` (lines ${named}${more > 0 ? ` and ${more} more` : ''})`;
}

/**
 * The one refusal that concerns some lanes only: a lane full to MAX_LANE_BACKLOG (its deliveries
 * held up). Every other 429/5xx concerns the whole ingest, and ends the run once its tries are
 * spent; this one must not stop the commits of the other lanes.
 */
export function isLaneFull(answer: IngestAnswer): boolean {
  return answer.status === 503 && errorOf(answer)?.code === 'BACKLOG_FULL';
}

export function errorText(answer: IngestAnswer): string {
  const error = errorOf(answer);
  return error
    ? `${answer.status} ${error.code ?? ''}: ${error.message ?? ''}`
    : `${answer.status}`;
}

/**
 * What to check when the ingest refuses every request: its signature's time is this machine's
 * clock, and a refused time says to set that right, not the URL or secrets.
 */
export function refusalHint(answer: IngestAnswer): string {
  return errorOf(answer)?.code === 'SIGNATURE_EXPIRED'
    ? "check this machine's clock against the ingest's (the signature's time is this machine's; NTP)"
    : 'check INGEST_URL and INGEST_SECRETS';
}

/** A read error's code (`EIO`, `ESTALE`), else its message. */
export function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.message : String(error);
}

/**
 * What a FILE.refused that could not be written whole means: it is not kept (a torn commit must
 * not be replayed), and FILE itself is what to replay, whose commits the ingest took answer as
 * duplicates within DEDUP_WINDOW.
 */
export function refusedNotKept(
  file: string,
  refusedPath: string,
  unwritten: { problem: string; line: number | undefined },
): string {
  const at = unwritten.line === undefined ? '' : ` at line ${unwritten.line}`;
  return (
    `${refusedPath} could not be written whole${at} (${unwritten.problem}), so it is incomplete and was not ` +
    `kept: replay ${file} itself once there is room (within DEDUP_WINDOW, 24 h by default, the ` +
    `commits already taken answer as duplicates), not ${refusedPath}`
  );
}

/** Where a run stopped by a signal got to, and what to replay: FILE, not its FILE.refused. */
export function interruptedText(run: {
  signalName: string;
  file: string;
  refusedPath: string;
  /** Lines read. */
  reached: number;
  tally: { lines: number; accepted: number; malformed: unknown[]; rejected: unknown[] };
  kept: number;
}): string {
  const { tally } = run;
  const left = tally.lines - tally.accepted - tally.rejected.length - tally.malformed.length;
  return (
    `requeue: stopped by ${run.signalName} at line ${run.reached} of ${run.file}; nothing after ` +
    `that line was sent: ${tally.accepted} accepted, ${tally.rejected.length} refused, ` +
    `${tally.malformed.length} malformed, ${left} left to send; ` +
    (run.kept > 0
      ? `${run.refusedPath} is partial (the ${run.kept} commits refused until then): `
      : '') +
    `replay ${run.file} again (within DEDUP_WINDOW the commits already taken answer as ` +
    `duplicates)${run.kept > 0 ? `, not ${run.refusedPath}` : ''}`
  );
}
