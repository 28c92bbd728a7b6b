import type { CollectedRecord } from '@commitlog/kafka';
import { header, text } from './kafka-check.ts';

/**
 * Checks per-key order: for every key, the commit ids on Kafka (a re-delivered record may repeat
 * right after itself) must be exactly the ids the ingest answered, in the order it answered them.
 * Returns a list of human-readable problems; empty when all is well.
 */
export function orderProblems(
  answered: ReadonlyMap<string, readonly string[]>,
  records: readonly CollectedRecord[],
): string[] {
  const seen = new Map<string, string[]>();
  for (const r of records) {
    const key = text(r.key) ?? '';
    const id = header(r, 'commitlog-id') ?? '';
    const ids = seen.get(key) ?? [];
    if (ids[ids.length - 1] !== id) ids.push(id);
    seen.set(key, ids);
  }
  const problems: string[] = [];
  for (const [key, ids] of answered) {
    const got = seen.get(key) ?? [];
    if (got.length !== ids.length || got.some((id, i) => id !== ids[i])) {
      const firstBad = got.findIndex((id, i) => id !== ids[i]);
      problems.push(
        `key ${key}: ${got.length} distinct-in-a-row records for ${ids.length} commits; first mismatch at ${firstBad}`,
      );
    }
  }
  return problems;
}
