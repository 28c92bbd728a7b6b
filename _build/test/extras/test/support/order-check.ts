import type { CollectedRecord } from '@commitlog/kafka';
import { header, text } from './kafka-check.ts';

/** The commit ids on Kafka per key, in offset order, a repeat right after itself dropped. */
function idsPerKey(records: readonly CollectedRecord[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const r of records) {
    const key = text(r.key) ?? '';
    const id = header(r, 'commitlog-id') ?? '';
    const ids = seen.get(key) ?? [];
    if (ids[ids.length - 1] !== id) ids.push(id);
    seen.set(key, ids);
  }
  return seen;
}

/**
 * Where each record on Kafka stands in its key's accepted order, as runs: `#0-12 #10-49` is
 * commits 0 to 12, then 10 to 49 again; `?` is an id the ingest never answered for the key. What
 * a failed order check shows, so that a red run says how the order broke.
 */
function landedRuns(ids: readonly string[], got: readonly string[]): string {
  const runs: string[] = [];
  let start = -2;
  let last = -2;
  const close = (): void => {
    if (start === -2) return;
    const name = (n: number): string => (n < 0 ? '?' : String(n));
    runs.push(start === last ? `#${name(start)}` : `#${name(start)}-${name(last)}`);
  };
  for (const id of got) {
    const at = ids.indexOf(id);
    if (at >= 0 && at === last + 1 && last >= 0) {
      last = at;
      continue;
    }
    close();
    start = at;
    last = at;
  }
  close();
  return runs.join(' ') || 'nothing';
}

/** `check` of every answered key, with its answered ids and its ids on Kafka (idsPerKey). */
function problemsPerKey(
  answered: ReadonlyMap<string, readonly string[]>,
  records: readonly CollectedRecord[],
  check: (key: string, answeredIds: readonly string[], onKafka: readonly string[]) => string[],
): string[] {
  const seen = idsPerKey(records);
  return [...answered].flatMap(([key, ids]) => check(key, ids, seen.get(key) ?? []));
}

/**
 * Checks per-key order: for every key, the commit ids on Kafka (a re-delivered record may repeat
 * right after itself) must be exactly the ids the ingest answered, in the order it answered them.
 * Returns a list of human-readable problems; empty when all is well.
 */
export function orderProblems(
  answered: ReadonlyMap<string, readonly string[]>,
  records: readonly CollectedRecord[],
): string[] {
  return problemsPerKey(answered, records, (key, ids, got) => {
    if (got.length === ids.length && got.every((id, i) => id === ids[i])) return [];
    const mismatch = got.findIndex((id, i) => id !== ids[i]);
    // None among those that landed: the key's later commits are missing.
    const firstBad = mismatch === -1 ? got.length : mismatch;
    return [
      `key ${key}: ${got.length} distinct-in-a-row records for ${ids.length} commits; first mismatch at ${firstBad}; landed ${landedRuns(ids, got)}`,
    ];
  });
}

/**
 * Old copies that landed late: for every key, a record of an older commit after a newer one's
 * (repeats in a row collapsed) must be a copy of one already on Kafka, starting a replay that goes
 * on, in a row, up to that newer one; and the key's last record must be its newest commit. A worker that re-delivers a stalled
 * job with its followers replays in order; a cut-off worker whose old record lands after another
 * delivered newer ones does not. Returns human-readable problems; empty when all is well.
 */
export function staleCopies(
  answered: ReadonlyMap<string, readonly string[]>,
  records: readonly CollectedRecord[],
): string[] {
  return problemsPerKey(answered, records, staleCopiesOfKey);
}

/**
 * Per-key order as commitlog keeps it where a produce request may be sent again: every commit
 * the ingest answered is on Kafka, and `staleCopies` finds nothing, so a copy that lands again is
 * part of an in-order replay (A B A B) and never an old version after a newer one. A request that
 * Kafka refused in part, or whose answer never came, is sent again, whole or caller by caller (README, "Duplicates
 * without a crash"); `orderProblems` refuses even that. Each key's problems end with the runs
 * that landed (see `landedRuns`).
 */
export function orderProblemsAllowingReplays(
  answered: ReadonlyMap<string, readonly string[]>,
  records: readonly CollectedRecord[],
): string[] {
  return problemsPerKey(answered, records, (key, ids, onKafka) => {
    const landed = new Set(onKafka);
    const missing = ids.flatMap((id, at) => (landed.has(id) ? [] : [`#${at}`]));
    const problems = [
      ...(missing.length > 0
        ? [`key ${key}: ${missing.length} commits never landed (${missing.slice(0, 5).join(' ')})`]
        : []),
      ...staleCopiesOfKey(key, ids, onKafka),
    ];
    if (problems.length > 0) problems.push(`key ${key}: landed ${landedRuns(ids, onKafka)}`);
    return problems;
  });
}

function staleCopiesOfKey(
  key: string,
  ids: readonly string[],
  onKafka: readonly string[],
): string[] {
  const problems: string[] = [];
  // Where each record's commit stands in its key's accepted order (ids it never answered
  // left out).
  const got = onKafka
    .map((id) => ids.indexOf(id))
    .filter((at, i, all) => at >= 0 && at !== all[i - 1]);
  let newest = -1;
  const landed = new Set<number>();
  for (let i = 0; i < got.length; i++) {
    const at = got[i]!;
    if (at < newest) {
      // A replay starts at a commit that was on Kafka already: one that lands for the first
      // time after a newer one reached a consumer out of order, whatever follows it.
      if (!landed.has(at)) {
        problems.push(`key ${key}: commit #${at} first landed after #${newest}`);
      }
      // A replay: the commits from this one up to the newest seen, in a row.
      const run = got.slice(i, i + newest - at + 1);
      if (run.length !== newest - at + 1 || run.some((n, j) => n !== at + j)) {
        problems.push(`key ${key}: commit #${at} landed after #${newest}, not replayed up to it`);
      }
      // Inside it too: a commit skipped before (a c … then a b c) first reached a consumer
      // after a newer one, however in order the replay itself is.
      for (const n of run) {
        if (n !== at && n < newest && !landed.has(n)) {
          problems.push(`key ${key}: commit #${n} first landed after #${newest}`);
        }
      }
      for (const n of run) landed.add(n);
      i += run.length - 1;
      newest = Math.max(newest, ...run);
      continue;
    }
    landed.add(at);
    newest = at;
  }
  if (got.length > 0 && got[got.length - 1] !== ids.length - 1) {
    problems.push(`key ${key}: last record is commit #${got[got.length - 1]} of ${ids.length}`);
  }
  return problems;
}
