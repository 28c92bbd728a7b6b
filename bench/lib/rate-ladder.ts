/**
 * The open-loop rate ladder: start at `startRate`, multiply by `factor` while each step is
 * sustainable, and after the first step that is not, try the midpoint between it and the last good
 * one (`refinements` times), so the max sustainable rate is known within a few percent without
 * walking the whole range in small steps.
 */
export interface LadderOptions {
  startRate: number;
  factor: number;
  /** Most steps in all (a bound on the run's time). */
  maxSteps: number;
  /** Midpoint tries after the first unsustainable step. */
  refinements: number;
  /** Never ask for more than this rate. */
  maxRate: number;
}

export interface LadderStep {
  rate: number;
  sustainable: boolean;
}

/** The next rate to try, or undefined when the ladder is done. */
export function nextRate(done: readonly LadderStep[], options: LadderOptions): number | undefined {
  if (done.length >= options.maxSteps) return undefined;
  if (done.length === 0) return options.startRate;
  const good = done.filter((s) => s.sustainable).map((s) => s.rate);
  const bad = done.filter((s) => !s.sustainable).map((s) => s.rate);
  if (bad.length === 0) {
    const last = done[done.length - 1]!.rate;
    if (last >= options.maxRate) return undefined;
    return Math.min(options.maxRate, Math.round(last * options.factor));
  }
  const tried = done.length - done.findIndex((s) => !s.sustainable) - 1;
  if (tried >= options.refinements) return undefined;
  const lowestBad = Math.min(...bad);
  const highestGood = Math.max(0, ...good.filter((r) => r < lowestBad));
  const mid = Math.round((lowestBad + highestGood) / 2);
  // Too close to tell apart on a noisy 2-core machine: stop.
  if (mid <= highestGood * 1.05 || mid >= lowestBad) return undefined;
  return mid;
}

/** The intended send time (ms from the step's start) of request `i` at `rate` per second. */
export function intendedOffsetMs(i: number, rate: number): number {
  return (i * 1000) / rate;
}
