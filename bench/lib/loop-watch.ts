/**
 * What keeps a process from answering on time, second by second: the pauses of its garbage
 * collector and how late its event loop ran a timer (a callback that ran long, a GC pause, or the
 * process waiting for a core). bench/latency-breakdown.ts watches itself (the load generator) and
 * the roles (through `loop-watch-preload.ts`).
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** One second of a process. */
export interface LoopSample {
  /** Epoch ms at the end of the second. */
  atMs: number;
  gcCount: number;
  gcMs: number;
  gcMaxMs: number;
  /** How late the event loop ran its 10 ms timer: the 99th percentile and the worst. */
  delayP99Ms: number;
  delayMaxMs: number;
}

/**
 * Samples this process every second until stopped. The delay timer fires every 10 ms, not every
 * millisecond: a thousand wake-ups a second would cost the process under measurement CPU of its
 * own; 10 ms still catches every stall that matters to a p99 of tens of milliseconds.
 */
export function startLoopWatch(record: (sample: LoopSample) => void): { stop(): void } {
  let gc = { count: 0, ms: 0, max: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.ms += entry.duration;
      gc.max = Math.max(gc.max, entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const timer = setInterval(() => {
    // The histogram counts the whole time a timer waited; the 10 ms it was meant to wait is not late.
    const late = (ns: number): number => Math.max(0, ns / 1e6 - 10);
    record({
      atMs: Date.now(),
      gcCount: gc.count,
      gcMs: gc.ms,
      gcMaxMs: gc.max,
      delayP99Ms: delay.count > 0 ? late(delay.percentile(99)) : 0,
      delayMaxMs: delay.count > 0 ? late(delay.max) : 0,
    });
    gc = { count: 0, ms: 0, max: 0 };
    delay.reset();
  }, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      delay.disable();
      observer.disconnect();
    },
  };
}

/** A process's samples over a window, in a few figures. */
export interface LoopSummary {
  seconds: number;
  /** Milliseconds of GC pause per second. */
  gcMsPerS: number;
  gcMaxMs: number;
  /** The worst second's 99th percentile of event-loop lateness, and the worst lateness. */
  delayP99Ms: number;
  delayMaxMs: number;
}

/** The samples taken within [fromMs, toMs] (a sample covers the second before its `atMs`). */
export function summarizeLoop(
  samples: readonly LoopSample[],
  fromMs: number,
  toMs: number,
): LoopSummary | undefined {
  const inside = samples.filter((s) => s.atMs - 1000 >= fromMs - 500 && s.atMs <= toMs + 500);
  if (inside.length === 0) return undefined;
  const max = (pick: (s: LoopSample) => number): number => Math.max(...inside.map(pick));
  return {
    seconds: inside.length,
    gcMsPerS: inside.reduce((sum, s) => sum + s.gcMs, 0) / inside.length,
    gcMaxMs: max((s) => s.gcMaxMs),
    delayP99Ms: max((s) => s.delayP99Ms),
    delayMaxMs: max((s) => s.delayMaxMs),
  };
}

/** The samples of a role written by the preload, one JSON line each. */
export function parseLoopSamples(text: string): LoopSample[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LoopSample);
}
