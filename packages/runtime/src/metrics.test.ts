import { CommitlogError } from '@commitlog/core';
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { readBuildVersion } from './build-version.ts';
import {
  CLOCK_OFFSET_KEPT_MS,
  clockOffsetGauge,
  createCounter,
  createGauge,
  createHistogram,
  createMetricsRegistry,
  Registry,
} from './metrics.ts';

describe('createMetricsRegistry', () => {
  it('collects the process metrics, prefixed and labelled with the service', async () => {
    const registry = createMetricsRegistry('ingest');
    expect(registry).toBeInstanceOf(Registry);
    const text = await registry.metrics();
    expect(text).toMatch(/^commitlog_process_cpu_user_seconds_total\{service="ingest"\} /m);
    expect(text).toContain('commitlog_nodejs_eventloop_lag_seconds');
    expect(text).not.toMatch(/^process_/m);
  });

  it('reports the release the process runs, as commitlog_build_info', async () => {
    const text = await createMetricsRegistry('worker', { version: '1.2.3' }).metrics();
    expect(text).toMatch(/^# TYPE commitlog_build_info gauge$/m);
    expect(text).toMatch(/^commitlog_build_info\{version="1\.2\.3",service="worker"\} 1$/m);
    // Every role's registry is made here: by default, the release read from the root manifest.
    for (const service of ['ingest', 'worker', 'dashboard']) {
      expect(await createMetricsRegistry(service).metrics()).toContain(
        `commitlog_build_info{version="${readBuildVersion()}",service="${service}"} 1\n`,
      );
    }
  });

  it('keeps each registry apart, and the global one empty', async () => {
    const ingest = createMetricsRegistry('ingest');
    const worker = createMetricsRegistry('worker');
    createCounter(worker, { name: 'commitlog_delivered_total', help: 'Commits delivered.' }).inc();
    expect(await worker.metrics()).toContain('commitlog_delivered_total{service="worker"} 1');
    expect(await ingest.metrics()).not.toContain('commitlog_delivered_total');
    expect(globalRegistry.getMetricsAsArray()).toEqual([]);
  });
});

describe('metric helpers', () => {
  it('register gauges and histograms in the given registry, with labels', async () => {
    const registry = createMetricsRegistry('worker');
    createGauge(registry, {
      name: 'commitlog_lane_backlog_commits',
      help: 'Waiting commits per lane.',
      labelNames: ['lane'],
    }).set({ lane: '3' }, 42);
    createHistogram(registry, {
      name: 'commitlog_delivery_duration_seconds',
      help: 'Time from dequeue to Kafka ack.',
      buckets: [0.1, 1],
    }).observe(0.5);
    const text = await registry.metrics();
    expect(text).toContain('commitlog_lane_backlog_commits{lane="3",service="worker"} 42');
    expect(text).toContain('commitlog_delivery_duration_seconds_bucket{le="1",service="worker"} 1');
  });

  it('refuse a name outside the commitlog_<thing>_<unit> convention', () => {
    const registry = createMetricsRegistry('worker');
    for (const name of ['delivered_total', 'commitlog_Delivered', 'commitlog-delivered']) {
      expect(() => createCounter(registry, { name, help: 'x' }), name).toThrow(CommitlogError);
    }
  });
});

describe('clockOffsetGauge', () => {
  const value = async (registry: Registry): Promise<string | undefined> =>
    /^commitlog_clock_offset_seconds (\S+)$/m.exec(await registry.metrics())?.[1];

  /** A read that answers, in turn, each of `readings` (ms, or an Error to fail with). */
  const readingsOf =
    (readings: (number | Error)[]): (() => Promise<number>) =>
    () => {
      const next = readings.shift();
      if (next === undefined) throw new Error('no reading left');
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    };

  it('reads the offset at each scrape, in seconds', async () => {
    const registry = new Registry();
    clockOffsetGauge(registry, readingsOf([1500, -250]));
    expect(await value(registry)).toBe('1.5');
    expect(await value(registry)).toBe('-0.25');
  });

  it('has no sample until a reading succeeds, rather than an offset of 0', async () => {
    const registry = new Registry();
    clockOffsetGauge(registry, readingsOf([new Error('Redis away'), new Error('Redis away'), 0]));
    const text = await registry.metrics();
    expect(text).toContain('# TYPE commitlog_clock_offset_seconds gauge');
    expect(text).not.toMatch(/^commitlog_clock_offset_seconds/m);
    expect(await value(registry)).toBeUndefined();
    expect(await value(registry)).toBe('0');
  });

  it('keeps the last reading while readings fail, then drops it until one succeeds', async () => {
    let t = 5_000;
    const registry = new Registry();
    const away = new Error('Redis away');
    clockOffsetGauge(registry, readingsOf([1500, away, away, away, 2000]), { now: () => t });
    expect(await value(registry)).toBe('1.5');
    t += CLOCK_OFFSET_KEPT_MS - 1;
    expect(await value(registry)).toBe('1.5');
    // Counted from the last good reading, not from the last scrape.
    t += 1;
    expect(await value(registry)).toBeUndefined();
    expect(await value(registry)).toBeUndefined();
    expect(await value(registry)).toBe('2');
  });

  it('does not hold a scrape for a reading that does not answer, nor show an offset for it', async () => {
    vi.useFakeTimers();
    try {
      let t = 0;
      const registry = new Registry();
      let answer: ((ms: number) => void) | undefined;
      clockOffsetGauge(
        registry,
        () =>
          new Promise<number>((resolve) => {
            answer ??= resolve;
          }),
        { now: () => t },
      );
      const scraped = value(registry);
      await vi.advanceTimersByTimeAsync(1000);
      expect(await scraped).toBeUndefined();
      // Its answer, come too late, is not taken for a reading either.
      answer?.(3000);
      t += 1;
      const again = value(registry);
      await vi.advanceTimersByTimeAsync(1000);
      expect(await again).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});
