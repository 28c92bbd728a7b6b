import { describe, expect, it } from 'vitest';
import { stepMetrics } from './step-metrics.ts';
import { backlogAllowance, backlogAt, backlogGrowthPerS, judgeStep } from './sustainable.ts';

const good = {
  rate: 1000,
  acceptedPerS: 998,
  refused: 0,
  p99CommitToKafkaMs: 20,
  backlogAtEnd: 5,
  backlogGrowthPerS: 0,
};

describe('sustainable step', () => {
  it('passes a step that keeps up', () => {
    expect(judgeStep(good)).toEqual({ sustainable: true, reasons: [] });
  });

  it('fails on p99, a growing backlog, refusals, a loss or a shortfall, naming each', () => {
    expect(judgeStep({ ...good, p99CommitToKafkaMs: 100 }).reasons).toEqual([
      'p99 100 ms ≥ 100 ms',
    ]);
    expect(judgeStep({ ...good, p99CommitToKafkaMs: NaN }).sustainable).toBe(false);
    expect(judgeStep({ ...good, backlogAtEnd: 101 }).reasons).toEqual(['backlog 101 at the end']);
    expect(judgeStep({ ...good, backlogGrowthPerS: 21 }).reasons).toEqual(['backlog grew 21/s']);
    expect(judgeStep({ ...good, refused: 3 }).reasons).toEqual(['3 refused']);
    // A lost commit has no latency: the rest's p99 must not pass the step.
    expect(judgeStep({ ...good, lost: 1 }).reasons).toEqual(['1 lost']);
    expect(judgeStep({ ...good, acceptedPerS: 900 }).sustainable).toBe(false);
  });

  it('allows 100 ms of backlog, at least 20', () => {
    expect(backlogAllowance(50)).toBe(20);
    expect(backlogAllowance(5000)).toBe(500);
  });

  it('counts the backlog at a time from accept and store times', () => {
    const accepted = Float64Array.from([1, 2, 3, 4, 5]);
    const stored = Float64Array.from([2, 3, 7, 8, 9]);
    expect(backlogAt(accepted, stored, 0)).toBe(0);
    expect(backlogAt(accepted, stored, 3)).toBe(1);
    expect(backlogAt(accepted, stored, 5)).toBe(3);
    expect(backlogAt(accepted, stored, 9)).toBe(0);
  });

  /** A 2 s step at 1,000/s whose commits reach Kafka in order, at `deliveredShare` of its rate. */
  function fifoStep(deliveredShare: number, pause?: { at: number; ms: number }) {
    const sent = Array.from({ length: 2000 }, (_, n) => ({
      n,
      intendedAt: n,
      answeredAt: n + 1,
      status: 202,
      id: `c${n}`,
    }));
    let free = 0;
    const stamps = sent.map((s) => {
      // One commit every 1 / share ms, none sooner than 5 ms after it was sent.
      free = Math.max(free + 1 / deliveredShare, s.intendedAt + 5);
      if (pause && free >= pause.at && free < pause.at + 1) free += pause.ms;
      return { topic: 't', id: s.id, timestampMs: Math.round(free) };
    });
    return stepMetrics(sent, stamps, { start: 0, end: 2000 });
  }

  it('fails a step whose backlog grows though it ends under the allowance and p99 passes', () => {
    const m = fifoStep(0.955);
    // What the level alone let through: 90 waiting at the end, p99 under 100 ms.
    expect(m.backlogAtEnd).toBeLessThan(backlogAllowance(1000));
    expect(m.commitToKafka.p99).toBeLessThan(100);
    const verdict = judgeStep({
      rate: 1000,
      acceptedPerS: m.acceptedPerS,
      refused: m.refused,
      p99CommitToKafkaMs: m.commitToKafka.p99,
      backlogAtEnd: m.backlogAtEnd,
      backlogGrowthPerS: m.backlogGrowthPerS,
      lost: m.lost,
    });
    expect(verdict.sustainable).toBe(false);
    expect(verdict.reasons).toEqual([expect.stringMatching(/^backlog grew 4\d\/s$/)]);
  });

  it('takes a pause near the end for a spike, not for growth', () => {
    const m = fifoStep(1, { at: 1900, ms: 60 });
    expect(m.backlogGrowthPerS).toBeLessThan(10);
    expect(m.backlogGrowthPerS).toBeGreaterThan(0);
  });

  it('reads no growth from a flat backlog, or from a window without length', () => {
    const offered = Float64Array.from({ length: 1000 }, (_, i) => i);
    const stored = Float64Array.from({ length: 1000 }, (_, i) => i + 10);
    expect(Math.abs(backlogGrowthPerS(offered, stored, { start: 0, end: 1000 }))).toBeLessThan(1);
    expect(backlogGrowthPerS(offered, stored, { start: 5, end: 5 })).toBe(0);
  });
});
