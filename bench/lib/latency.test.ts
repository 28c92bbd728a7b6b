import { describe, expect, it } from 'vitest';
import { LatencyRecorder, percentile, summarize } from './latency.ts';

describe('percentiles', () => {
  it('takes the nearest rank of sorted values', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(500);
    expect(percentile(values, 99)).toBe(990);
    expect(percentile(values, 99.9)).toBe(999);
    expect(percentile(values, 100)).toBe(1000);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarizes unsorted samples, growing past its initial capacity', () => {
    const recorder = new LatencyRecorder();
    for (let i = 5000; i >= 1; i--) recorder.record(i / 10);
    const s = recorder.summary();
    expect(s).toEqual({ count: 5000, p50: 250, p99: 495, p999: 499.5, max: 500 });
    expect(summarize([3, 1, 2]).p50).toBe(2);
  });
});
