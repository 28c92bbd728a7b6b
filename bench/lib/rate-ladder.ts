/**
 * The open-loop rate ladder: start at `startRate`, multiply by `factor` while each step is
 * sustainable, and after the first rate that is not, try the midpoint between it and the last good
 * one (`refinements` times), so the max sustainable rate is known within a few percent without
 * walking the whole range in small steps. A step that fails is tried again (up to `tries` in all)
 * before its rate counts as too high: the machine is shared, and one burst of someone else's work
 * must not end a ladder. A rate is sustainable when any of its tries kept up.
 */
export interface LadderOptions {
  startRate: number;
  factor: number;
  /**
   * Most steps in all (a bound on the run's time), but for the further tries of a rate that failed
   * at the last of them.
   */
  maxSteps: number;
  /** Midpoint tries after the first unsustainable rate. */
  refinements: number;
  /** Never ask for more than this rate. */
  maxRate: number;
  /** Tries of a rate before it counts as unsustainable. Default 1. */
  tries?: number;
}

export interface LadderStep {
  rate: number;
  sustainable: boolean;
}

/** The next rate to try, or undefined when the ladder is done. */
export function nextRate(done: readonly LadderStep[], options: LadderOptions): number | undefined {
  const last = done[done.length - 1];
  if (last === undefined) return options.maxSteps > 0 ? options.startRate : undefined;
  const triesOfLast = done.filter((s) => s.rate === last.rate).length;
  // A failed rate gets its every try, even past `maxSteps` (at most `tries - 1` steps more): a
  // rate that failed once bounds nothing (targets.ts), and the ladder would end unbounded.
  if (!last.sustainable && triesOfLast < (options.tries ?? 1)) return last.rate;
  if (done.length >= options.maxSteps) return undefined;

  const ok = (rate: number): boolean => done.some((s) => s.rate === rate && s.sustainable);
  const rates = [...new Set(done.map((s) => s.rate))];
  const bad = rates.filter((r) => !ok(r));
  if (bad.length === 0) {
    if (last.rate >= options.maxRate) return undefined;
    return Math.min(options.maxRate, Math.round(last.rate * options.factor));
  }
  const firstBad = done.findIndex((s) => bad.includes(s.rate));
  const refined = new Set(done.slice(firstBad).map((s) => s.rate)).size - 1;
  if (refined >= options.refinements) return undefined;
  const lowestBad = Math.min(...bad);
  const highestGood = Math.max(0, ...rates.filter((r) => ok(r) && r < lowestBad));
  const mid = Math.round((lowestBad + highestGood) / 2);
  // Too close to tell apart on a noisy 2-core machine: stop.
  if (mid <= highestGood * 1.05 || mid >= lowestBad) return undefined;
  return mid;
}

/** The intended send time (ms from the step's start) of request `i` at `rate` per second. */
export function intendedOffsetMs(i: number, rate: number): number {
  return (i * 1000) / rate;
}
