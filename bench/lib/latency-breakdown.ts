/**
 * Where a commit's time goes between the load generator's intended send and Kafka's append, from
 * what the run already has: each request's intended and answered times (load-drivers.ts) and each
 * record's append time and `commitlog-received-at` header (the ingest's clock when it read the
 * request). All clocks are this machine's.
 */
import type { RecordStamp } from '@commitlog/kafka';
import { summarize, type LatencySummary } from './latency.ts';
import { wholeMsMidpoint, type Sent } from './load-drivers.ts';

/** The header the ingest stamps on every record: when it read the request (ISO 8601). */
export const RECEIVED_AT_HEADER = 'commitlog-received-at';

export interface StageLatency {
  stage: string;
  latency: LatencySummary;
}

export interface LatencyBreakdown {
  /** Accepted commits found in Kafka with a received-at time: the samples of every stage. */
  matched: number;
  stages: StageLatency[];
}

export function latencyBreakdown(
  sent: readonly Sent[],
  stamps: readonly RecordStamp[],
): LatencyBreakdown {
  const stored = new Map<string, { appendedAt: number; receivedAt: number }>();
  for (const stamp of stamps) {
    const receivedAt = Date.parse(stamp.also?.[RECEIVED_AT_HEADER] ?? '');
    if (stamp.id === undefined || Number.isNaN(receivedAt)) continue;
    // A duplicate delivery: the first append is when the commit reached Kafka.
    const earlier = stored.get(stamp.id);
    if (earlier && earlier.appendedAt <= wholeMsMidpoint(stamp.timestampMs)) continue;
    stored.set(stamp.id, {
      appendedAt: wholeMsMidpoint(stamp.timestampMs),
      receivedAt: wholeMsMidpoint(receivedAt),
    });
  }
  const columns = {
    accept: [] as number[],
    toIngest: [] as number[],
    ingestToKafka: [] as number[],
    answerToKafka: [] as number[],
    total: [] as number[],
  };
  for (const s of sent) {
    const record = s.id === undefined ? undefined : stored.get(s.id);
    if (s.status < 200 || s.status >= 300 || !record) continue;
    columns.accept.push(s.answeredAt - s.intendedAt);
    columns.toIngest.push(record.receivedAt - s.intendedAt);
    columns.ingestToKafka.push(record.appendedAt - record.receivedAt);
    columns.answerToKafka.push(record.appendedAt - s.answeredAt);
    columns.total.push(record.appendedAt - s.intendedAt);
  }
  const stage = (name: string, values: number[]): StageLatency => ({
    stage: name,
    latency: summarize(values),
  });
  return {
    matched: columns.total.length,
    stages: [
      stage('send → 202 (accept)', columns.accept),
      stage('send → ingest reads it', columns.toIngest),
      stage('ingest reads it → Kafka append', columns.ingestToKafka),
      stage('202 → Kafka append', columns.answerToKafka),
      stage('send → Kafka append (commit→Kafka)', columns.total),
    ],
  };
}
