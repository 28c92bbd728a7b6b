import { describe, expect, it } from 'vitest';
import { backlogAllowance, backlogAt, judgeStep } from './sustainable.ts';

const good = { rate: 1000, acceptedPerS: 998, refused: 0, p99CommitToKafkaMs: 20, backlogAtEnd: 5 };

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
});
