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
 * What a baseline ladder tells of its max sustainable rate: the figure itself, or, when it ran
 * and kept up at no rate tried, only that the figure is below the lowest rate it tried.
 */
type BaselineFigure =
  | { kind: 'value'; value: number }
  | { kind: 'below'; lowestRate: number; note: string }
  | { kind: 'none' };

function baselineFigure(ladder: LadderResult | undefined): BaselineFigure {
  if (ladder?.maxSustainablePerS !== undefined) {
    return { kind: 'value', value: ladder.maxSustainablePerS };
  }
  const tried = (ladder?.steps ?? []).filter((s) => s.rate !== undefined);
  if (ladder === undefined || tried.length === 0) return { kind: 'none' };
  const lowest = tried.reduce((a, s) => ((s.rate ?? 0) < (a.rate ?? 0) ? s : a));
  const lowestRate = lowest.rate ?? 0;
  return {
    kind: 'below',
    lowestRate,
    note: `${ladder.name} kept up at no rate tried (lowest ${lowestRate}/s, where its p99 was ${lowest.commitToKafka.p99.toFixed(0)} ms)`,
  };
}

function atLeast(
  name: string,
  value: number | undefined,
  baseline: LadderResult | undefined,
  factor: number,
): TargetVerdict {
  const base = baselineFigure(baseline);
  if (value === undefined || base.kind === 'none') {
    return { target: name, met: undefined, detail: 'no figure (a run found no sustainable rate)' };
  }
  if (base.kind === 'below') {
    // The baseline's max is only known to be below its lowest rate tried: an upper bound. Beating
    // factor × that bound meets the target; anything less cannot be judged.
    const bound = factor * base.lowestRate;
    return {
      target: name,
      met: value >= bound ? true : undefined,
      detail:
        value >= bound
          ? `${value.toFixed(0)}/s vs ${factor} × (below ${base.lowestRate}/s) = below ${bound.toFixed(0)}/s: ${base.note}`
          : `${value.toFixed(0)}/s, below ${factor} × ${base.lowestRate}/s = ${bound.toFixed(0)}/s, an upper bound only: ${base.note}`,
    };
  }
  return {
    target: name,
    met: value >= factor * base.value,
    detail: `${value.toFixed(0)}/s vs ${factor} × ${base.value.toFixed(0)}/s = ${(factor * base.value).toFixed(0)}/s`,
  };
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

export function judgeTargets(run: RunResults): TargetVerdict[] {
  const e2e = run.system.maxSustainablePerS;
  const verdicts: TargetVerdict[] = [
    atLeast('max sustainable ≥ 0.8 × B4', e2e, run.baselines.b4, 0.8),
    atLeast('max sustainable ≥ 3 × B5', e2e, run.baselines.b5, 3),
  ];
  const half = run.halfRate;
  verdicts.push(
    half === undefined
      ? { target: 'at half rate: p50 ≤ 5 ms, p99 ≤ 25 ms', met: undefined, detail: 'not measured' }
      : {
          target: 'at half rate: p50 ≤ 5 ms, p99 ≤ 25 ms',
          met: half.commitToKafka.p50 <= 5 && half.commitToKafka.p99 <= 25,
          detail: `at ${half.rate}/s: p50 ${half.commitToKafka.p50.toFixed(1)} ms, p99 ${half.commitToKafka.p99.toFixed(1)} ms${ceilingBeside(half, run.baselines.b4)}`,
        },
  );
  const top = maxSustainableStep(run.system);
  for (const [role, limit] of [
    ['worker', 200],
    ['ingest', 150],
  ] as const) {
    const rss = peakRss(top, role);
    verdicts.push({
      target: `${role} RSS ≤ ${limit} MB at max sustainable`,
      met: rss === undefined ? undefined : rss <= limit * MB,
      detail: rss === undefined ? 'not measured' : `peak ${(rss / MB).toFixed(0)} MB`,
    });
  }
  verdicts.push(redisFlatVerdict(run, top));
  const ours = [
    ...run.system.steps,
    run.halfRate,
    run.saturation,
    ...run.levers.flatMap((l) => [l.saturation, l.fixedRate]),
  ].filter((s): s is StepResult => s !== undefined);
  const lost = ours.reduce((n, s) => n + s.lost, 0);
  verdicts.push({
    target: '0 lost in every run',
    met: ours.length === 0 ? undefined : lost === 0,
    detail: `${lost} lost over ${ours.reduce((n, s) => n + s.accepted, 0)} accepted commits in ${ours.length} commitlog runs`,
  });
  return verdicts;
}

/**
 * Redis memory at the max sustainable step, less what the commits of the step account for by
 * design: a de-duplication mark per delivered commit (kept for DEDUP_WINDOW, then gone) and the
 * jobs still waiting at the end. What is left must be flat: within 1 MB or 2 %.
 */
function redisFlatVerdict(run: RunResults, top: StepResult | undefined): TargetVerdict {
  const target = 'Redis memory flat when the backlog is flat';
  const memory = top?.redisUsedBytes;
  const mark = run.redisBytesPerDeliveredMark;
  const waiting = run.redisBytesPerWaitingCommit;
  if (top === undefined || memory === undefined || mark === undefined || waiting === undefined) {
    return { target, met: undefined, detail: 'not measured' };
  }
  const growth = memory.after - memory.before;
  const backlog = Math.max(0, top.backlogAtEnd);
  const delivered = Math.max(0, top.accepted - backlog);
  const rest = growth - delivered * mark - backlog * waiting;
  return {
    target,
    met: rest <= Math.max(MB, 0.02 * memory.before),
    detail: `${(growth / MB).toFixed(1)} MB over ${top.accepted} commits: ${delivered} marks × ${mark.toFixed(0)} B + ${backlog} waiting × ${waiting.toFixed(0)} B, rest ${(rest / MB).toFixed(1)} MB`,
  };
}
