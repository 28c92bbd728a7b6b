import { CommitlogError } from '@commitlog/core';
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { readBuildVersion } from './build-version.ts';
import {
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

  it('reads the offset at each scrape, in seconds, and keeps the last when a reading fails', async () => {
    const registry = new Registry();
    const readings: (() => Promise<number>)[] = [
      () => Promise.resolve(1500),
      () => Promise.reject(new Error('Redis away')),
      () => Promise.resolve(-250),
    ];
    clockOffsetGauge(registry, () => readings.shift()!());
    expect(await value(registry)).toBe('1.5');
    expect(await value(registry)).toBe('1.5');
    expect(await value(registry)).toBe('-0.25');
  });

  it('does not hold a scrape for a reading that does not answer', async () => {
    vi.useFakeTimers();
    try {
      const registry = new Registry();
      clockOffsetGauge(registry, () => new Promise<number>(() => undefined));
      const scraped = value(registry);
      await vi.advanceTimersByTimeAsync(1000);
      expect(await scraped).toBe('0');
    } finally {
      vi.useRealTimers();
    }
  });
});
