/**
 * The figures of one load step, from what the load generator saw (each request's intended and
 * answer times, status and commit id) and what Kafka holds (each record's commit id and append
 * time). Pure, so that the oracle and the latency arithmetic are unit-tested.
 */
import type { RecordStamp } from '@commitlog/kafka';
import { summarize, type LatencySummary } from './latency.ts';
import { wholeMsMidpoint, type Sent } from './load-drivers.ts';
import { backlogAt, backlogGrowthPerS } from './sustainable.ts';

export interface StepMetrics {
  sent: number;
  accepted: number;
  refused: number;
  /** Answered 2xx by the end of the step (as delivered counts what Kafka stored by then), per second. */
  acceptedPerS: number;
  /** Distinct commits Kafka stored by the end of the step (duplicates once), per second. */
  deliveredPerS: number;
  /** From the intended send time to the HTTP answer, 2xx only. */
  accept: LatencySummary;
  /** From the intended send time to Kafka's append time, accepted commits found in Kafka. */
  commitToKafka: LatencySummary;
  /**
   * Accepted commits sent by the end of the step and not in Kafka by then (first copy of each,
   * duplicates aside), whether or not their answer had come: one still waiting in the load
   * generator's or the server's queue is backlog too.
   */
  backlogAtEnd: number;
  /** How fast the backlog grew over the step, commits per second (see `backlogGrowthPerS`). */
  backlogGrowthPerS: number;
  /**
   * Accepted (2xx) commits that are not in Kafka, or whose answer stood for no commit of its own
   * (`duplicate`, or another answer's id): must be 0.
   */
  lost: number;
  /** Extra copies of commits in Kafka (the same commit id more than once). */
  duplicates: number;
}

export function stepMetrics(
  sent: readonly Sent[],
  stamps: readonly RecordStamp[],
  window: { start: number; end: number },
): StepMetrics {
  const seconds = Math.max(0.001, (window.end - window.start) / 1000);
  const accepted = sent.filter((s) => s.status >= 200 && s.status < 300);
  const storedAt = new Map<string, number>();
  let duplicates = 0;
  for (const stamp of stamps) {
    if (stamp.id === undefined) continue;
    const earlier = storedAt.get(stamp.id);
    if (earlier !== undefined) {
      duplicates++;
      if (stamp.timestampMs < earlier) storedAt.set(stamp.id, stamp.timestampMs);
    } else storedAt.set(stamp.id, stamp.timestampMs);
  }
  let lost = 0;
  const toKafka: number[] = [];
  // First append time of each accepted commit found in Kafka: the backlog counts accepted commits
  // against these only, so that neither a duplicate nor a commit stored but answered with an
  // error can stand in for an accepted commit that never reached Kafka.
  const acceptedStoredAt: number[] = [];
  // Every commit the bench sends is a different one: an answer that says it was stored already,
  // or gives the id of another answer of the step, vouches for no delivery of its own (an ingest
  // whose ids collide would answer a new commit so and never deliver it, while the record of the
  // other commit stood in for it here).
  const claimed = new Set<string>();
  for (const s of accepted) {
    const own = s.id !== undefined && s.duplicate !== true && !claimed.has(s.id);
    if (s.id !== undefined) claimed.add(s.id);
    const at = own ? storedAt.get(s.id!) : undefined;
    if (at === undefined) lost++;
    else {
      toKafka.push(Math.max(0, wholeMsMidpoint(at) - s.intendedAt));
      acceptedStoredAt.push(at);
    }
  }
  // By intended send time: a request the server had not answered by the end is backlog too.
  const offeredTimes = Float64Array.from(accepted.map((s) => s.intendedAt)).sort();
  const storeTimes = Float64Array.from(acceptedStoredAt).sort();
  // Delivered: distinct commits in Kafka by the end of the step, each counted once.
  const storedInWindow = [...storedAt.values()].filter((t) => t <= window.end).length;
  return {
    sent: sent.length,
    accepted: accepted.length,
    refused: sent.length - accepted.length,
    // A server that falls behind answers after the window: counting those late answers would
    // report the rate offered, not the rate taken.
    acceptedPerS: accepted.filter((s) => s.answeredAt <= window.end).length / seconds,
    deliveredPerS: storedInWindow / seconds,
    accept: summarize(accepted.map((s) => s.answeredAt - s.intendedAt)),
    commitToKafka: summarize(toKafka),
    backlogAtEnd: backlogAt(offeredTimes, storeTimes, window.end),
    backlogGrowthPerS: backlogGrowthPerS(offeredTimes, storeTimes, window),
    lost,
    duplicates,
  };
}
