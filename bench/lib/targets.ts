/**
 * The targets, judged from a run's results (printed as met / not met; never asserted in
 * tests: on a shared 2-core machine they are measurements, not contracts).
 */
import type { LadderResult, RunResults, StepResult } from './results.ts';

export interface TargetVerdict {
  target: string;
  /** undefined when the run has no figure to judge it by. */
  met: boolean | undefined;
  detail: string;
}

const MB = 1_000_000;

/** The step at the max sustainable throughput (the highest sustainable rate). */
export function maxSustainableStep(ladder: LadderResult): StepResult | undefined {
  return ladder.steps
    .filter((s) => s.sustainable)
    .reduce<StepResult | undefined>(
      (best, s) => (best === undefined || (s.rate ?? 0) > (best.rate ?? 0) ? s : best),
      undefined,
    );
}

function peakRss(step: StepResult | undefined, prefix: string): number | undefined {
  const values = (step?.usage ?? [])
    .filter((u) => u.name.startsWith(prefix))
    .map((u) => u.peakRssBytes);
  return values.length === 0 ? undefined : Math.max(...values);
}

/**
 * What a ladder tells of a design's max sustainable rate: at least `lower` (the delivered/s of
 * its highest rate that kept up; 0 when it ran and none did) and below `upper`, the lowest rate
 * above that one which failed every try it was given, as many as the ladder gives a rate (one
 * failed try on a shared machine proves nothing). `upper` is undefined when no rate was confirmed
 * too high (the ladder kept up at its last rate, or a ladder from before 2026-12-06 ran out of
 * steps between two tries): the max is then only known to be at least `lower`.
 */
export interface RateBounds {
  lower: number | undefined;
  upper: number | undefined;
}

export function ladderBounds(ladder: LadderResult | undefined): RateBounds {
  const byRate = new Map<number, StepResult[]>();
  for (const s of ladder?.steps ?? []) {
    if (s.rate !== undefined) byRate.set(s.rate, [...(byRate.get(s.rate) ?? []), s]);
  }
  if (ladder === undefined || byRate.size === 0) return { lower: undefined, upper: undefined };
  const rates = [...byRate.keys()];
  const kept = rates.filter((r) => byRate.get(r)!.some((s) => s.sustainable));
  const highestKept = kept.length > 0 ? Math.max(...kept) : 0;
  const tooHigh = rates.filter((r) => {
    const tries = byRate.get(r)!;
    return (
      r > highestKept && tries.length >= (ladder.tries ?? 1) && tries.every((s) => !s.sustainable)
    );
  });
  return {
    lower: ladder.maxSustainablePerS ?? 0,
    upper: tooHigh.length > 0 ? Math.min(...tooHigh) : undefined,
  };
}

function range({ lower, upper }: RateBounds): string {
  return upper === undefined
    ? `at least ${lower?.toFixed(0)}/s`
    : `${lower?.toFixed(0)}/s, below ${upper}/s`;
}

/**
 * Whether commitlog's max sustainable rate is at least `factor` × the baseline's, judged on the
 * ranges the ladders leave: met when commitlog's lower bound beats factor × the baseline's upper
 * bound, not met when commitlog's upper bound is at or under factor × the baseline's lower bound,
 * and not known when the ranges overlap (a finer ladder would tell).
 */
function atLeast(
  name: string,
  system: LadderResult,
  baseline: LadderResult | undefined,
  factor: number,
): TargetVerdict {
  const ours = ladderBounds(system);
  const theirs = ladderBounds(baseline);
  if (ours.lower === undefined || theirs.lower === undefined) {
    return { target: name, met: undefined, detail: 'no figure (a ladder did not run)' };
  }
  const detail = `commitlog ${range(ours)} vs ${factor} × ${baseline?.name} (${range(theirs)})`;
  if (theirs.upper !== undefined && ours.lower >= factor * theirs.upper) {
    return {
      target: name,
      met: true,
      detail: `${detail}: ${ours.lower.toFixed(0)} ≥ ${factor} × ${theirs.upper}`,
    };
  }
  if (ours.upper !== undefined && ours.upper <= factor * theirs.lower) {
    return {
      target: name,
      met: false,
      detail: `${detail}: below ${ours.upper} ≤ ${factor} × ${theirs.lower.toFixed(0)}`,
    };
  }
  return { target: name, met: undefined, detail: `${detail}: the ranges overlap` };
}

/**
 * B4's latency at the rate of its ladder nearest to `step`'s (the lower one on a tie), as context
 * for a latency target: on this shared machine the no-queue ceiling's own p99 can miss it, and
 * then no design with a queue in the middle can meet it in that run.
 */
function ceilingBeside(step: StepResult, b4: LadderResult | undefined): string {
  const rate = step.rate ?? 0;
  const nearest = (b4?.steps ?? [])
    .filter((s) => s.rate !== undefined && s.commitToKafka.count > 0)
    .reduce<StepResult | undefined>((best, s) => {
      if (best === undefined) return s;
      const gap = Math.abs((s.rate ?? 0) - rate);
      const bestGap = Math.abs((best.rate ?? 0) - rate);
      return gap < bestGap || (gap === bestGap && (s.rate ?? 0) < (best.rate ?? 0)) ? s : best;
    }, undefined);
  if (nearest === undefined) return '';
  const { p50, p99 } = nearest.commitToKafka;
  return `; B4 at ${nearest.rate}/s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`;
}

/** Whether a step kept up within the half-rate latency target (p50 ≤ 5 ms, p99 ≤ 25 ms). */
export function meetsHalfRateLatency(step: StepResult): boolean {
  return step.sustainable && step.commitToKafka.p50 <= 5 && step.commitToKafka.p99 <= 25;
}

/**
 * The latency target at half the max sustainable rate, which the ladder knows only as a range:
 * the half-rate step runs at half its lower bound and, when that passes, a second at half its
 * upper bound. Latency grows with the rate, so a miss at the first is a miss at the true half
 * rate (NOT met), and a pass at the second is a pass there (met); a pass at the first alone, or
 * followed by a miss at the second, is not known. A step must keep up too.
 */
function halfRateVerdict(run: RunResults): TargetVerdict {
  const target = 'at half rate: p50 ≤ 5 ms, p99 ≤ 25 ms';
  const half = run.halfRate;
  if (half === undefined) return { target, met: undefined, detail: 'not measured' };
  const describe = (step: StepResult): string => {
    const { p50, p99 } = step.commitToKafka;
    const kept = step.sustainable ? '' : `, did not keep up (${step.reasons.join('; ')})`;
    return `at ${step.rate ?? 0}/s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms${kept}`;
  };
  const detail = `${describe(half)}${ceilingBeside(half, run.baselines.b4)}`;
  if (!meetsHalfRateLatency(half)) return { target, met: false, detail };
  const upper = run.halfRateUpper;
  if (upper === undefined) {
    const bound = ladderBounds(run.system).upper;
    const why = bound === undefined ? 'the max has no upper bound' : `the max is below ${bound}/s`;
    return {
      target,
      met: undefined,
      detail: `${detail}: met there, but ${why}, so half of it may be higher than ${half.rate ?? 0}/s`,
    };
  }
  const both = `${detail}; ${describe(upper)}`;
  if (meetsHalfRateLatency(upper)) return { target, met: true, detail: both };
  return {
    target,
    met: undefined,
    detail: `${both}: met at half the highest rate kept, missed at half the lowest failed; the true half rate lies between`,
  };
}

export function judgeTargets(run: RunResults): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [
    atLeast('max sustainable ≥ 0.8 × B4', run.system, run.baselines.b4, 0.8),
    atLeast('max sustainable ≥ 3 × B5', run.system, run.baselines.b5, 3),
  ];
  verdicts.push(halfRateVerdict(run));
  const top = maxSustainableStep(run.system);
  for (const [role, limit] of [
    ['worker', 200],
    ['ingest', 150],
  ] as const) {
    const rss = peakRss(top, role);
    verdicts.push({
      target: `${role} RSS ≤ ${limit} MB at max sustainable`,
      met: rss === undefined ? undefined : rss <= limit * MB,
      // The tables print MiB; the target is in MB (10^6 bytes), so both are given.
      detail:
        rss === undefined
          ? 'not measured'
          : `peak ${(rss / MB).toFixed(0)} MB (${(rss / 2 ** 20).toFixed(0)} MiB)`,
    });
  }
  verdicts.push(redisFlatVerdict(run, top));
  const ours = commitlogSteps(run);
  const lost = ours.reduce((n, s) => n + s.lost, 0);
  verdicts.push({
    target: '0 lost in every run',
    met: ours.length === 0 ? undefined : lost === 0,
    detail: `${lost} lost over ${ours.reduce((n, s) => n + s.accepted, 0)} accepted commits in ${ours.length} commitlog runs`,
  });
  return verdicts;
}

/** DEDUP_WINDOW as the benchmark runs it (the default), seconds. */
const DEDUP_WINDOW_S = 24 * 3600;

/**
 * Redis memory at the max sustainable step, less what the commits of the step account for by
 * design: a de-duplication mark per delivered commit (kept for DEDUP_WINDOW, then gone) and the
 * jobs still waiting at the end. What is left must be flat: within 1 MB or 2 %. The marks are not
 * flat within DEDUP_WINDOW: they grow with every delivery until the first ones expire, and the
 * detail says where they level off at the step's rate, which is what Redis must be sized for.
 */
function redisFlatVerdict(run: RunResults, top: StepResult | undefined): TargetVerdict {
  const target = 'Redis memory flat when the backlog is flat';
  const memory = top?.redisUsedBytes;
  const mark = run.redisBytesPerDeliveredMark;
  const waiting = run.redisBytesPerWaitingCommit;
  if (top === undefined || memory === undefined || mark === undefined || waiting === undefined) {
    return { target, met: undefined, detail: 'not measured' };
  }
  // Read at rest on both sides where the run could (`drained`): every commit of the step then
  // delivered, and nothing of the load in flight. Read as the load ended, the growth also held
  // the backlog and the buffers of requests and deliveries under way, which no tolerance fits.
  const drained = memory.drained !== undefined;
  const growth = (memory.drained ?? memory.after) - memory.before;
  const backlog = drained ? 0 : Math.max(0, top.backlogAtEnd);
  const delivered = Math.max(0, top.accepted - backlog - (drained ? top.lost : 0));
  const rest = growth - delivered * mark - backlog * waiting;
  return {
    target,
    met: rest <= Math.max(MB, 0.02 * memory.before),
    detail:
      `${(growth / MB).toFixed(1)} MB over ${top.accepted} commits${drained ? ', once delivered' : ''}: ${delivered} marks × ${mark.toFixed(0)} B + ${backlog} waiting × ${waiting.toFixed(0)} B, rest ${(rest / MB).toFixed(1)} MB; ` +
      `the marks level off after DEDUP_WINDOW (24 h) at ${((top.deliveredPerS * DEDUP_WINDOW_S * mark) / 1e9).toFixed(1)} GB at ${top.deliveredPerS.toFixed(0)}/s`,
  };
}

/**
 * Every step commitlog ran in the run (warm-ups and settle steps too, whose latencies are
 * dropped): what "0 lost" and the late duplicates count over.
 */
export function commitlogSteps(run: RunResults): StepResult[] {
  return [
    run.system.warmUp,
    ...run.system.steps,
    run.halfRateSettle,
    run.halfRate,
    run.halfRateUpper,
    run.saturation,
    run.saturationZipf,
    ...run.levers.flatMap((l) => [l.warmUp, l.saturation, l.fixedRate]),
  ].filter((s): s is StepResult => s !== undefined);
}
