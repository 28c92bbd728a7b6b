import { CommitlogError } from '@commitlog/core';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';
import { readBuildVersion } from './build-version.ts';

// prom-client is a dependency of this package only: apps take these from `@commitlog/runtime`.
export { Counter, Gauge, Histogram, Registry };
export type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration };

/** Every commitlog metric is named `commitlog_<thing>_<unit>`. */
export const METRIC_PREFIX = 'commitlog_';

const METRIC_NAME = /^commitlog_[a-z][a-z0-9_]*$/;

/**
 * A registry of one process's metrics, never prom-client's global one (which any library may
 * write to, and which tests would share). It carries Node's process metrics (CPU, memory, event
 * loop lag, GC), named `commitlog_process_…`/`commitlog_nodejs_…`, and
 * `commitlog_build_info{version}`, and labels every series with `service`, so the roles can
 * share one dashboard.
 */
export function createMetricsRegistry(
  service: string,
  options: {
    /** The release reported by `commitlog_build_info`. Default `readBuildVersion()`. */
    version?: string;
  } = {},
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  // Which release each process runs, so that a rolling upgrade's order (every ingest before any
  // hook) can be checked against the ingest's count of hook versions.
  createGauge(registry, {
    name: 'commitlog_build_info',
    help: "Always 1; `version` is the commitlog release this process runs (the root package.json's version, `unknown` when it has none).",
    labelNames: ['version'],
  }).set({ version: options.version ?? readBuildVersion() }, 1);
  return registry;
}

/** Config of a metric made by the helpers below: they set `registers` themselves. */
export type MetricOptions<C> = Omit<C, 'registers'>;

function checkName(name: string): void {
  if (!METRIC_NAME.test(name)) {
    throw new CommitlogError(
      'INVALID_METRIC_NAME',
      `metric ${JSON.stringify(name)} must be named commitlog_<thing>_<unit> in snake case`,
      { retriable: false },
    );
  }
}

/**
 * A counter registered in `registry` only. prom-client's own constructors register into the
 * global registry unless told otherwise; these helpers cannot forget, and check the name.
 */
export function createCounter<T extends string = string>(
  registry: Registry,
  options: MetricOptions<CounterConfiguration<T>>,
): Counter<T> {
  checkName(options.name);
  return new Counter<T>({ ...options, registers: [registry] });
}

/** A gauge registered in `registry` only; see `createCounter`. */
export function createGauge<T extends string = string>(
  registry: Registry,
  options: MetricOptions<GaugeConfiguration<T>>,
): Gauge<T> {
  checkName(options.name);
  return new Gauge<T>({ ...options, registers: [registry] });
}

/** How long a scrape waits for the clock offset's reading before it keeps the last one. */
const CLOCK_OFFSET_READ_MS = 1000;

/**
 * `commitlog_clock_offset_seconds`: how far this host's clock is ahead of Redis's, read at each
 * scrape (`read` gives ms). A reading that fails or takes over a second leaves the last value:
 * Redis away has alerts of its own.
 */
export function clockOffsetGauge(registry: Registry, read: () => Promise<number>): void {
  createGauge(registry, {
    name: 'commitlog_clock_offset_seconds',
    help: "How far this process's wall clock is ahead of Redis's (negative: behind), read with Redis TIME at the scrape.",
    async collect() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), CLOCK_OFFSET_READ_MS);
      });
      const offsetMs = await Promise.race([read().catch(() => undefined), late]);
      clearTimeout(timer);
      if (offsetMs !== undefined) this.set(offsetMs / 1000);
    },
  });
}

/** A histogram registered in `registry` only; see `createCounter`. */
export function createHistogram<T extends string = string>(
  registry: Registry,
  options: MetricOptions<HistogramConfiguration<T>>,
): Histogram<T> {
  checkName(options.name);
  return new Histogram<T>({ ...options, registers: [registry] });
}
