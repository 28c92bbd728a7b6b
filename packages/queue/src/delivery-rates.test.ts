import { describe, expect, it } from 'vitest';
import { perMinute, type OutcomeMetrics } from './delivery-rates.ts';

const MIN = 60_000;
const T = 1_000 * MIN; // the start of a minute

function metrics(prevTS: number, count: number, prevCount: number, data: number[]): OutcomeMetrics {
  return { meta: { count, prevTS, prevCount }, data };
}

describe('perMinute', () => {
  it('counts nothing before any job finished', () => {
    expect(perMinute(metrics(0, 0, 0, []), 3, T)).toEqual([0, 0, 0]);
  });

  it("puts the jobs since the last push in that push's minute and data[i] i+1 minutes before", () => {
    // Last push during minute T; 4 jobs since; the two minutes before had 7 and 5.
    const m = metrics(T + 10_000, 20, 16, [7, 5, 9]);
    expect(perMinute(m, 3, T + 30_000)).toEqual([5, 7, 4]);
  });

  it('counts zero for the minutes after the last finished job', () => {
    const m = metrics(T + 10_000, 20, 16, [7, 5]);
    expect(perMinute(m, 4, T + 2 * MIN + 1)).toEqual([7, 4, 0, 0]);
  });

  it('counts zero for minutes older than the data kept', () => {
    expect(perMinute(metrics(T, 1, 1, [2]), 3, T)).toEqual([0, 2, 0]);
  });
});
