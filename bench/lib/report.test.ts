import { describe, expect, it } from 'vitest';
import { formatReport } from './report.ts';
import type { RunResults, StepResult } from './results.ts';

const latency = { count: 10, p50: 2, p99: 9, p999: 12, max: 12 };
const step = (rate: number, sustainable: boolean): StepResult => ({
  rate,
  durationS: 5,
  loadWindow: { start: 0, end: 5000 },
  sustainable,
  reasons: sustainable ? [] : ['p99 300 ms ≥ 100 ms'],
  sent: rate * 5,
  accepted: rate * 5,
  refused: 0,
  acceptedPerS: rate,
  deliveredPerS: rate,
  accept: latency,
  commitToKafka: latency,
  backlogAtEnd: 0,
  backlogGrowthPerS: 0,
  lost: 0,
  duplicates: 0,
  usage: [
    { name: 'ingest', cpuSeconds: 2.5, peakRssBytes: 100 * 1048576, wakeUps: 0, preemptions: 0 },
  ],
});

describe('report', () => {
  it('prints the summary with ratios, the ladder, resources, targets and levers', () => {
    const run: RunResults = {
      startedAt: '2026-01-01T00:00:00Z',
      mode: 'quick',
      machine: { cpus: 2, node: 'v24.0.0' },
      system: {
        name: 'commitlog',
        steps: [
          { ...step(1000, true), redisStalls: [] },
          { ...step(2000, false), redisStalls: [{ event: 'aof-fsync-always', maxMs: 353 }] },
        ],
        maxSustainablePerS: 1000,
      },
      halfRate: step(500, true),
      saturation: { ...step(0, true), rate: undefined, acceptedPerS: 1500, deliveredPerS: 1400 },
      redisBytesPerWaitingCommit: 2100,
      baselines: {
        b1Node: { name: 'B1', what: 'accepted', perS: 6000, usage: [] },
        b4: {
          name: 'B4',
          steps: [step(1000, true), step(1250, false), step(1250, false)],
          // The report prints this figure as it stands (the fixture's steps need not agree).
          maxSustainablePerS: 1250,
          tries: 2,
        },
        b5: { name: 'B5', steps: [step(200, true)], maxSustainablePerS: 200 },
      },
      levers: [
        {
          lever: 'ingest micro-batching',
          setting: 'on',
          isDefault: true,
          saturation: step(0, true),
          fixedRate: step(500, true),
        },
      ],
      errors: ['B2: failed'],
    };
    const text = formatReport(run);
    expect(text).toContain('B4 no-queue ceiling, max sustainable');
    expect(text).toMatch(/B4 no-queue ceiling, max sustainable\s+1000\s+1250\s.*0\.80×/);
    // B5's ladder failed no rate (it ran out of steps): its max is a floor, the ratio a bound.
    expect(text).toMatch(/B5 naive BullMQ, max sustainable\s+200\s+≥ 200\s.*≤ 5\.00×/);
    expect(text).toMatch(/B1 node:http.*0\.25×/);
    expect(text).toContain('p99 300 ms ≥ 100 ms');
    // Beside each step of a ladder through Redis, the longest Redis spent in one event.
    expect(text).toMatch(/^ +1000 .*< 5 ms .*keeps up/m);
    expect(text).toMatch(/^ +2000 .*353 ms aof-fsync-always .*p99 300 ms/m);
    expect(text).toMatch(/ingest\s+2\.50\s+0\.50\s+100/);
    // The processes together: 2.5 CPU s over 5,000 commits in 5 s, at the max and at half rate.
    expect(text).toContain('all processes 0.50 CPU ms per commit, 0.50 of 2 cores busy');
    expect(text).toMatch(/at half of it \(500\/s\):.*; all processes 1\.00 CPU ms per commit/);
    expect(text).toMatch(/max sustainable ≥ 0\.8 × B4\s+met/);
    expect(text).toContain('ingest micro-batching');
    expect(text).toContain('B2: failed');
    expect(text).toContain('Kafka broker NOT warmed up');
    expect(formatReport({ ...run, brokerWarmUp: { requests: 120_000, seconds: 30.2 } })).toContain(
      'Kafka broker warmed up first: 120000 produce requests in 30 s',
    );
    expect(text).not.toContain('Zipf keys');
  });

  it("prints the Zipf saturations with ratios among themselves, and the levers' duplicates", () => {
    const sat = (deliveredPerS: number, duplicates = 0) => ({
      ...step(0, true),
      rate: undefined,
      deliveredPerS,
      duplicates,
    });
    const run: RunResults = {
      startedAt: '2026-01-01T00:00:00Z',
      mode: 'full',
      machine: { cpus: 2, node: 'v24.0.0' },
      system: { name: 'commitlog', steps: [step(1000, true)], maxSustainablePerS: 1000 },
      halfRate: undefined,
      saturation: sat(1400),
      saturationZipf: sat(900),
      redisBytesPerWaitingCommit: undefined,
      baselines: {
        b4: { name: 'B4', steps: [], maxSustainablePerS: undefined, saturationZipf: sat(3600) },
        b5: { name: 'B5', steps: [], maxSustainablePerS: undefined, saturationZipf: sat(300) },
      },
      levers: [
        {
          lever: 'lanes',
          setting: '4',
          isDefault: false,
          warmUp: sat(0, 1),
          saturation: sat(800, 2),
          fixedRate: step(500, true),
        },
      ],
      errors: [],
    };
    const text = formatReport(run);
    expect(text).toMatch(/commitlog, saturation, Zipf keys\s+0\.00\s+900\s.*—/);
    expect(text).toMatch(/B4 no-queue ceiling, saturation, Zipf keys\s+0\.00\s+3600\s.*0\.25×/);
    expect(text).toMatch(/B5 naive BullMQ, saturation, Zipf keys\s+0\.00\s+300\s.*3\.00×/);
    // Lost and duplicates of the lever's warm-up, saturation and fixed-rate steps together.
    expect(text).toMatch(/lanes\s+4\s+800\s+\S+\s+0\s+3\s*$/m);
  });
});
