import { describe, expect, it } from 'vitest';
import { parsePerfTestOutput, payloadLines } from './perf-test.ts';

describe('kafka-producer-perf-test', () => {
  it('parses the final summary line', () => {
    const out = [
      'Reading payloads from: /tmp/p.txt',
      '61234 records sent, 12246.8 records/sec (16.01 MB/sec), 95.3 ms avg latency, 412.0 ms max latency.',
      '200000 records sent, 40214.7 records/sec (52.58 MB/sec), 61.62 ms avg latency, 412.00 ms max latency, 55 ms 50th, 120 ms 95th, 180 ms 99th, 390 ms 99.9th.',
    ].join('\n');
    expect(parsePerfTestOutput(out)).toEqual({
      records: 200000,
      recordsPerS: 40214.7,
      avgMs: 61.62,
      maxMs: 412,
      p50Ms: 55,
      p99Ms: 180,
      p999Ms: 390,
    });
    expect(parsePerfTestOutput('nothing')).toBeUndefined();
  });

  it('makes payloads in the mix shares', () => {
    const sizes = payloadLines().map((l) => l.length);
    expect(sizes.filter((s) => s === 256)).toHaveLength(5);
    expect(sizes.filter((s) => s === 1024)).toHaveLength(4);
    expect(sizes.filter((s) => s === 8192)).toHaveLength(1);
  });
});
