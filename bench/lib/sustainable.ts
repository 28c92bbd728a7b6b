/**
 * What "keeping up" means for one open-loop step (the definition of max sustainable
 * throughput): p99 commit→Kafka under 100 ms, the backlog not growing, and (ours, so a step that
 * silently sheds load cannot pass) every request accepted, none lost, and at least 95 % of the
 * asked rate.
 */
export const P99_LIMIT_MS = 100;

export interface StepOutcome {
  rate: number;
  acceptedPerS: number;
  /** Requests answered with anything but 2xx, or not at all. */
  refused: number;
  p99CommitToKafkaMs: number;
  /** Commits accepted but not yet in Kafka at the end of the step. */
  backlogAtEnd: number;
  /** How fast that backlog grew over the step, commits per second (`backlogGrowthPerS`). */
  backlogGrowthPerS: number;
  /**
   * Accepted commits never found in Kafka. Their latency is in no percentile (it is unknown), so
   * a step that lost its slowest commits would pass on the rest's p99: a loss fails the step.
   */
  lost?: number;
}

export interface Verdict {
  sustainable: boolean;
  /** Why not, in words for the progress line; empty when sustainable. */
  reasons: string[];
}

/** The backlog a step may end with and still count as flat: 100 ms of its rate, at least 20. */
export function backlogAllowance(rate: number): number {
  return Math.max(20, rate * 0.1);
}

/**
 * How fast a step's backlog may grow and still count as flat: 2 % of its rate, at least 10/s. A
 * design that delivers 95 % of what it accepts ends a 2 s step with 100 ms of its rate waiting,
 * under `backlogAllowance`, and its p99 under the limit, yet its backlog grows for as long as the
 * load lasts.
 */
export function growthAllowance(rate: number): number {
  return Math.max(10, rate * 0.02);
}

export function judgeStep(step: StepOutcome): Verdict {
  const reasons: string[] = [];
  if (!(step.p99CommitToKafkaMs < P99_LIMIT_MS)) {
    reasons.push(`p99 ${step.p99CommitToKafkaMs.toFixed(0)} ms ≥ ${P99_LIMIT_MS} ms`);
  }
  if (step.backlogAtEnd > backlogAllowance(step.rate)) {
    reasons.push(`backlog ${step.backlogAtEnd} at the end`);
  }
  if (step.backlogGrowthPerS > growthAllowance(step.rate)) {
    reasons.push(`backlog grew ${step.backlogGrowthPerS.toFixed(0)}/s`);
  }
  if (step.refused > 0) reasons.push(`${step.refused} refused`);
  if ((step.lost ?? 0) > 0) reasons.push(`${step.lost} lost`);
  if (step.acceptedPerS < step.rate * 0.95) {
    reasons.push(`accepted ${step.acceptedPerS.toFixed(0)}/s < 95% of ${step.rate}/s`);
  }
  return { sustainable: reasons.length === 0, reasons };
}

/**
 * Commits accepted but not in Kafka at time `t`: offered by `t` minus stored by `t`, from the
 * ascending send times of one step's accepted commits (client side) and their ascending Kafka
 * append times.
 */
export function backlogAt(offeredAt: Float64Array, storedAt: Float64Array, t: number): number {
  return Math.max(0, countAtOrBefore(offeredAt, t) - countAtOrBefore(storedAt, t));
}

function countAtOrBefore(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Samples of the backlog per half of a step: enough to average a pause's spike out. */
const GROWTH_SAMPLES = 50;

/**
 * The backlog's growth over a step, commits per second: its mean over the second half less its
 * mean over the first, over half the step's length. Means over each half rather than two instants:
 * a pause at the end (a collection, a flush) is a spike, not a trend.
 */
export function backlogGrowthPerS(
  offeredAt: Float64Array,
  storedAt: Float64Array,
  window: { start: number; end: number },
): number {
  const half = (window.end - window.start) / 2;
  if (!(half > 0)) return 0;
  const meanOver = (from: number) => {
    let sum = 0;
    for (let i = 0; i < GROWTH_SAMPLES; i++) {
      sum += backlogAt(offeredAt, storedAt, from + ((i + 0.5) * half) / GROWTH_SAMPLES);
    }
    return sum / GROWTH_SAMPLES;
  };
  return (meanOver(window.start + half) - meanOver(window.start)) / (half / 1000);
}
