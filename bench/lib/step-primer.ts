/**
 * Commits sent through a design before a step is measured, to the step's fresh topic. Every step
 * writes to a topic of its own (for its oracle), and the first records a process sends to a new
 * topic wait for what it must learn first: the topic's metadata, its partitions' leaders, the
 * load generator's new connections. Measured, that was a stall at the start of each step: a
 * B4 ladder of 2026-12-06 had every request over 50 ms within the first 250 ms of its step,
 * the worst at 150–170 ms, which put its p99 over 100 ms from 1,520/s up. A topic in production
 * is created once; the steady state is what a step is for. Sent all at once, so that they also
 * open the step's connections; their losses count, their latencies do not.
 */
import type { RecordStamp } from '@commitlog/kafka';
import type { PostOutcome } from './signed-poster.ts';

/** As many as the load generator's connections per step, and enough to reach every partition. */
export const PRIMER_COMMITS = 64;

/**
 * Sends commits `firstN`…`firstN + PRIMER_COMMITS - 1`: the ids of those accepted, and how many
 * accepted answers vouch for no commit of their own (no id, `duplicate`, or another's id), which
 * count as lost as a step's do (`stepMetrics`).
 */
export async function sendPrimers(
  send: (n: number) => Promise<PostOutcome>,
  firstN: number,
): Promise<{ ids: string[]; unvouched: number }> {
  const outcomes = await Promise.all(
    Array.from({ length: PRIMER_COMMITS }, (_, i) => send(firstN + i)),
  );
  const ids = new Set<string>();
  let unvouched = 0;
  for (const o of outcomes) {
    if (o.status < 200 || o.status >= 300) continue;
    if (o.id === undefined || o.duplicate === true || ids.has(o.id)) unvouched++;
    else ids.add(o.id);
  }
  return { ids: [...ids], unvouched };
}

/**
 * The step's stamps without the primers' records; how many accepted primers Kafka lacks, and how
 * many extra copies of primers it holds (duplicates like any other).
 */
export function withoutPrimers(
  stamps: readonly RecordStamp[],
  primerIds: readonly string[],
): { stamps: RecordStamp[]; lostPrimers: number; primerDuplicates: number } {
  const primers = new Set(primerIds);
  const found = new Set<string>();
  const rest: RecordStamp[] = [];
  let primerDuplicates = 0;
  for (const stamp of stamps) {
    if (stamp.id === undefined || !primers.has(stamp.id)) rest.push(stamp);
    else if (found.has(stamp.id)) primerDuplicates++;
    else found.add(stamp.id);
  }
  return { stamps: rest, lostPrimers: primers.size - found.size, primerDuplicates };
}
