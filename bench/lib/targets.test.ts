import { describe, expect, it } from 'vitest';
import type { RunResults, StepResult } from './results.ts';
import { judgeTargets, maxSustainableStep } from './targets.ts';

const latency = (p50: number, p99: number) => ({ count: 100, p50, p99, p999: p99, max: p99 });

function step(rate: number, sustainable: boolean, extra: Partial<StepResult> = {}): StepResult {
  return {
    rate,
    durationS: 5,
    sustainable,
    reasons: [],
    sent: rate * 5,
    accepted: rate * 5,
    refused: 0,
    acceptedPerS: rate,
    deliveredPerS: rate,
    accept: latency(1, 2),
    commitToKafka: latency(3, 20),
    backlogAtEnd: 0,
    lost: 0,
    duplicates: 0,
    usage: [
      { name: 'ingest', cpuSeconds: 1, peakRssBytes: 120e6 },
      { name: 'worker 1', cpuSeconds: 1, peakRssBytes: 250e6 },
    ],
    redisUsedBytes: { before: 10e6, after: 10.5e6 },
    ...extra,
  };
}

function run(): RunResults {
  return {
    startedAt: '',
    mode: 'quick',
    machine: { cpus: 2, node: 'v24' },
    system: {
      name: 'commitlog',
      steps: [step(500, true), step(1000, true), step(2000, false)],
      maxSustainablePerS: 1000,
    },
    halfRate: step(500, true),
    saturation: undefined,
    redisBytesPerWaitingCommit: 2000,
    redisBytesPerDeliveredMark: 200,
    baselines: {
      b4: { name: 'B4', steps: [], maxSustainablePerS: 1200 },
      b5: { name: 'B5', steps: [], maxSustainablePerS: 400 },
    },
    levers: [],
    errors: [],
  };
}

describe('targets', () => {
  it('judges each target from the run', () => {
    const verdicts = Object.fromEntries(judgeTargets(run()).map((v) => [v.target, v.met]));
    expect(verdicts).toEqual({
      'max sustainable ≥ 0.8 × B4': true,
      'max sustainable ≥ 3 × B5': false,
      'at half rate: p50 ≤ 5 ms, p99 ≤ 25 ms': true,
      'worker RSS ≤ 200 MB at max sustainable': false,
      'ingest RSS ≤ 150 MB at max sustainable': true,
      'Redis memory flat when the backlog is flat': true,
      '0 lost in every run': true,
    });
  });

  it("puts B4's latency at the nearest rate beside the half-rate verdict, without judging by it", () => {
    const r = run();
    r.baselines.b4 = {
      name: 'B4',
      steps: [
        step(250, true, { commitToKafka: latency(0.5, 45) }),
        step(750, true, { commitToKafka: latency(1, 60) }),
      ],
      maxSustainablePerS: 750,
    };
    const half = judgeTargets(r).find((v) => v.target.startsWith('at half rate'));
    expect(half).toEqual({
      target: 'at half rate: p50 ≤ 5 ms, p99 ≤ 25 ms',
      met: true,
      detail: 'at 500/s: p50 3.0 ms, p99 20.0 ms; B4 at 250/s: p50 0.5 ms, p99 45.0 ms',
    });
  });

  it('judges against a baseline that kept up at no rate only by its lowest rate, an upper bound', () => {
    const b5 = (commitlog: number) => {
      const r = run();
      r.system.maxSustainablePerS = commitlog;
      r.baselines.b5 = {
        name: 'B5',
        steps: [step(200, false), step(100, false)],
        maxSustainablePerS: undefined,
      };
      return judgeTargets(r).find((v) => v.target === 'max sustainable ≥ 3 × B5');
    };
    // B5's max is below 100/s: 300/s or more is at least 3 × it.
    expect(b5(1000)?.met).toBe(true);
    expect(b5(300)?.met).toBe(true);
    // Below 3 × 100/s nothing is known: B5 may have managed 10/s or 99/s.
    expect(b5(299)?.met).toBeUndefined();
    expect(b5(50)?.met).toBeUndefined();
    expect(b5(50)?.detail).toContain('B5 kept up at no rate tried (lowest 100/s');
    expect(b5(1000)?.detail).toBe(
      '1000/s vs 3 × (below 100/s) = below 300/s: B5 kept up at no rate tried (lowest 100/s, where its p99 was 20 ms)',
    );
  });

  it('says when there is no figure, and counts every lost commit', () => {
    const r = run();
    r.baselines.b4 = undefined;
    r.system.steps[0] = step(500, true, { lost: 2 });
    const verdicts = judgeTargets(r);
    expect(verdicts[0]?.met).toBeUndefined();
    expect(verdicts.find((v) => v.target === '0 lost in every run')?.met).toBe(false);
    expect(maxSustainableStep(r.system)?.rate).toBe(1000);
  });

  it('counts the de-duplication marks of delivered commits as expected growth, nothing else', () => {
    const flat = (r: RunResults) =>
      judgeTargets(r).find((v) => v.target === 'Redis memory flat when the backlog is flat');
    const r = run();
    // 5,000 commits delivered at 1,000/s for 5 s: 5,000 marks of 200 B = 1 MB, plus 0.5 MB.
    r.system.steps[1] = step(1000, true, { redisUsedBytes: { before: 10e6, after: 11.5e6 } });
    expect(flat(r)?.met).toBe(true);
    expect(flat(r)?.detail).toBe(
      '1.5 MB over 5000 commits: 5000 marks × 200 B + 0 waiting × 2000 B, rest 0.5 MB',
    );
    // 3 MB beyond the marks: not flat.
    r.system.steps[1] = step(1000, true, { redisUsedBytes: { before: 10e6, after: 14e6 } });
    expect(flat(r)?.met).toBe(false);
    r.redisBytesPerDeliveredMark = undefined;
    expect(flat(r)?.met).toBeUndefined();
  });
});
