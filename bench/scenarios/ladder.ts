/** An open-loop rate ladder against one design, stopping once it no longer keeps up. */
import type { BenchContext } from '../lib/bench-context.ts';
import { nextRate, type LadderOptions } from '../lib/rate-ladder.ts';
import type { LadderResult, StepResult } from '../lib/results.ts';
import { describeStep, runStep, warmUp, type Target } from '../lib/step-runner.ts';

export async function runLadder(
  ctx: BenchContext,
  target: Target,
  options: LadderOptions & { stepMs: number; label: string },
): Promise<LadderResult> {
  const steps: StepResult[] = [];
  ctx.progress(`${target.name}: open-loop ladder`);
  const warm = await warmUp(ctx, target, options.label);
  for (
    let rate = nextRate([], options);
    rate !== undefined;
    rate = nextRate(steps.map(asLadderStep), options)
  ) {
    const step = await runStep(
      ctx,
      target,
      { kind: 'open', rate, durationMs: options.stepMs },
      `${options.label}-r${rate}-t${steps.filter((s) => s.rate === rate).length + 1}`,
    );
    steps.push(step);
    ctx.progress(describeStep(target.name, step));
  }
  return {
    name: target.name,
    steps,
    maxSustainablePerS: maxSustainable(steps),
    tries: options.tries ?? 1,
    warmUp: warm,
  };
}

function asLadderStep(s: StepResult): { rate: number; sustainable: boolean } {
  return { rate: s.rate ?? 0, sustainable: s.sustainable };
}

/** Delivered/s of the highest sustainable step. */
export function maxSustainable(steps: readonly StepResult[]): number | undefined {
  const good = steps.filter((s) => s.sustainable);
  if (good.length === 0) return undefined;
  return good.reduce((best, s) => ((s.rate ?? 0) > (best.rate ?? 0) ? s : best)).deliveredPerS;
}
