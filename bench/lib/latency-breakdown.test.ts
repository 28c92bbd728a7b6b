import type { RecordStamp } from '@commitlog/kafka';
import { describe, expect, it } from 'vitest';
import { latencyBreakdown, RECEIVED_AT_HEADER } from './latency-breakdown.ts';
import type { Sent } from './load-drivers.ts';

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const sent = (id: string, intendedAt: number, answeredAt: number, status = 202): Sent => ({
  n: 0,
  intendedAt,
  answeredAt,
  status,
  id,
});
const stamp = (id: string, appendedAt: number, receivedAt: number | undefined): RecordStamp => ({
  topic: 't',
  id,
  timestampMs: appendedAt,
  also:
    receivedAt === undefined ? {} : { [RECEIVED_AT_HEADER]: new Date(receivedAt).toISOString() },
});

describe('latencyBreakdown', () => {
  it('splits each accepted commit at the ingest read and the 202', () => {
    const result = latencyBreakdown([sent('a', T0, T0 + 4)], [stamp('a', T0 + 10, T0 + 1)]);
    expect(result.matched).toBe(1);
    // The append time and the ingest's stamp are whole milliseconds, read as the middle of theirs.
    expect(Object.fromEntries(result.stages.map((s) => [s.stage, s.latency.p50]))).toEqual({
      'send → 202 (accept)': 4,
      'send → ingest reads it': 1.5,
      'ingest reads it → Kafka append': 9,
      '202 → Kafka append': 6.5,
      'send → Kafka append (commit→Kafka)': 10.5,
    });
  });

  it('counts a commit delivered twice at its first append', () => {
    const result = latencyBreakdown(
      [sent('a', T0, T0 + 2)],
      [stamp('a', T0 + 50, T0 + 1), stamp('a', T0 + 5, T0 + 1)],
    );
    expect(result.stages.at(-1)?.latency.max).toBe(5.5);
  });

  it('leaves out refused requests, commits not in Kafka, and records without the header', () => {
    const result = latencyBreakdown(
      [
        sent('a', T0, T0 + 1, 503),
        sent('b', T0, T0 + 1),
        sent('c', T0, T0 + 1),
        sent('d', T0, T0 + 2),
      ],
      [stamp('a', T0 + 5, T0), stamp('c', T0 + 5, undefined), stamp('d', T0 + 7, T0 + 1)],
    );
    expect(result.matched).toBe(1);
    expect(result.stages.every((s) => s.latency.count === 1)).toBe(true);
    expect(result.stages.at(-1)?.latency.p50).toBe(7.5);
  });
});
