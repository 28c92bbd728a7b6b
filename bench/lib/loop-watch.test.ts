import { describe, expect, it } from 'vitest';
import { parseLoopSamples, startLoopWatch, summarizeLoop, type LoopSample } from './loop-watch.ts';

const sample = (atMs: number, gcMs: number, delayMaxMs: number): LoopSample => ({
  atMs,
  gcCount: gcMs > 0 ? 1 : 0,
  gcMs,
  gcMaxMs: gcMs,
  delayP99Ms: delayMaxMs / 2,
  delayMaxMs,
});

describe('summarizeLoop', () => {
  const samples = [1000, 2000, 3000, 4000, 5000].map((at, i) => sample(at, i * 2, i * 10));

  it('takes the seconds inside the window: GC per second, the worst pause and lateness', () => {
    expect(summarizeLoop(samples, 2000, 4000)).toEqual({
      seconds: 2,
      gcMsPerS: (4 + 6) / 2,
      gcMaxMs: 6,
      delayP99Ms: 15,
      delayMaxMs: 30,
    });
  });

  it('has nothing to say about a window without samples', () => {
    expect(summarizeLoop(samples, 10_000, 20_000)).toBeUndefined();
  });

  it('reads the JSON lines the preload writes', () => {
    const text = `${samples.map((s) => JSON.stringify(s)).join('\n')}\n`;
    expect(parseLoopSamples(text)).toEqual(samples);
  });
});

describe('startLoopWatch', () => {
  it('sees a blocked event loop as lateness', async () => {
    const seen: LoopSample[] = [];
    const watch = startLoopWatch((s) => seen.push(s));
    try {
      await new Promise((r) => setTimeout(r, 100));
      const until = performance.now() + 150;
      while (performance.now() < until) {
        // Blocks the event loop, as a long callback would.
      }
      await new Promise((r) => setTimeout(r, 1100));
    } finally {
      watch.stop();
    }
    expect(Math.max(...seen.map((s) => s.delayMaxMs))).toBeGreaterThanOrEqual(100);
  });
});
