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

/** How long a scrape waits for the clock offset's reading before it counts it as failed. */
const CLOCK_OFFSET_READ_MS = 1000;

/**
 * How long the last good reading of the clock offset is still exposed while readings fail or
 * come late: 2 minutes, as long as the alert rules trust the lane gauges read the same way. A
 * time, not a number of scrapes, so that it means the same at any scrape interval and with two
 * Prometheus replicas scraping; long enough that a Redis failover or a slow scrape does not
 * reset `CommitlogClockOffset`'s `for`, short enough that Redis away stops showing an offset
 * nobody measures (a clock is not known to be right, or wrong, without Redis's).
 */
export const CLOCK_OFFSET_KEPT_MS = 120_000;

export interface ClockOffsetOptions {
  /** A monotonic clock, ms, for the age of the last reading; default `performance.now`. */
  now?: () => number;
}

/**
 * `commitlog_clock_offset_seconds`: how far this host's clock is ahead of Redis's, read at each
 * scrape (`read` gives ms). It has no sample until a reading succeeded (prom-client's 0 would say
 * the clock is right when nothing is known), keeps its last one while readings fail or take over
 * a second, for up to `CLOCK_OFFSET_KEPT_MS`, and then has none again until one succeeds: Redis
 * away has alerts of its own. The age is read on a monotonic clock: the wall clock is the one
 * that may be off, or stepped.
 */
export function clockOffsetGauge(
  registry: Registry,
  read: () => Promise<number>,
  options: ClockOffsetOptions = {},
): void {
  const now = options.now ?? (() => performance.now());
  let lastReadAt: number | undefined;
  const gauge = createGauge(registry, {
    name: 'commitlog_clock_offset_seconds',
    help: "How far this process's wall clock is ahead of Redis's (negative: behind), read with Redis TIME at the scrape; no sample while unknown.",
    async collect() {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), CLOCK_OFFSET_READ_MS);
      });
      const offsetMs = await Promise.race([read().catch(() => undefined), late]);
      clearTimeout(timer);
      if (offsetMs !== undefined && Number.isFinite(offsetMs)) {
        this.set(offsetMs / 1000);
        lastReadAt = now();
      } else if (lastReadAt === undefined || now() - lastReadAt >= CLOCK_OFFSET_KEPT_MS) {
        // A gauge without labels removes its one sample this way; `set` makes it again.
        this.remove();
      }
    },
  });
  gauge.remove();
}

/** A histogram registered in `registry` only; see `createCounter`. */
export function createHistogram<T extends string = string>(
  registry: Registry,
  options: MetricOptions<HistogramConfiguration<T>>,
): Histogram<T> {
  checkName(options.name);
  return new Histogram<T>({ ...options, registers: [registry] });
}
