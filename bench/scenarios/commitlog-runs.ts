/**
 * commitlog's own runs: the ladder, the step at half the max sustainable rate, closed-loop
 * saturation, and Redis bytes per waiting commit (measured with no worker running).
 */
import { createHash } from 'node:crypto';
import type { BenchContext } from '../lib/bench-context.ts';
import { redisUsedMemory } from '../lib/bench-context.ts';
import type { LadderOptions } from '../lib/rate-ladder.ts';
import type { LadderResult, StepResult } from '../lib/results.ts';
import { describeStep, runStep, zipfSaturation } from '../lib/step-runner.ts';
import { createSignedPoster } from '../lib/signed-poster.ts';
import { createWorkload } from '../lib/workload.ts';
import { startCommitlog } from './commitlog-target.ts';
import { runLadder } from './ladder.ts';
import { ladderBounds, meetsHalfRateLatency } from '../lib/targets.ts';

export interface CommitlogRuns {
  ladder: LadderResult;
  halfRate: StepResult | undefined;
  halfRateSettle: StepResult | undefined;
  halfRateUpper: StepResult | undefined;
  saturation: StepResult;
  /** Saturation with Zipf-skewed keys, when asked for. */
  saturationZipf: StepResult | undefined;
}

export async function runCommitlog(
  ctx: BenchContext,
  options: LadderOptions & {
    stepMs: number;
    clients: number;
    saturationMs: number;
    zipfSaturation: boolean;
  },
): Promise<CommitlogRuns> {
  const started = await startCommitlog(ctx, 'commitlog', { workers: 1, env: {} });
  try {
    const ladder = await runLadder(ctx, started.target, { ...options, label: 'e2e' });
    let halfRate: StepResult | undefined;
    let halfRateSettle: StepResult | undefined;
    let halfRateUpper: StepResult | undefined;
    const best = ladder.steps.filter((s) => s.sustainable).map((s) => s.rate ?? 0);
    if (best.length > 0) {
      const rate = Math.round(Math.max(...best) / 2);
      // The ladder ended on rates it could not keep up with; the first step after a change of
      // load measures the change (`pnpm bench:latency 1140,1140,1140,1140 10`: p50/p99 of the
      // first step 11.8–12.6/60–81 ms, of the next ones 7.5–9.3/27–40 ms). The target is about
      // the steady state at half rate, so a step at that rate comes first and is not measured.
      halfRateSettle = await runStep(
        ctx,
        started.target,
        { kind: 'open', rate, durationMs: options.stepMs / 2 },
        `e2e-half-${rate}-settle`,
      );
      if (halfRateSettle.lost > 0) {
        ctx.progress(`  commitlog at half, settling: ${halfRateSettle.lost} accepted commits LOST`);
      }
      halfRate = await runStep(
        ctx,
        started.target,
        { kind: 'open', rate, durationMs: options.stepMs },
        `e2e-half-${rate}`,
      );
      ctx.progress(describeStep('commitlog at half', halfRate));
      // The max lies between the highest rate kept and the lowest one failed: a pass at half the
      // first does not prove the target at the true half rate, a pass at half the second does.
      const { upper } = ladderBounds(ladder);
      if (meetsHalfRateLatency(halfRate) && upper !== undefined && Math.ceil(upper / 2) > rate) {
        halfRateUpper = await runStep(
          ctx,
          started.target,
          { kind: 'open', rate: Math.ceil(upper / 2), durationMs: options.stepMs },
          `e2e-half-upper-${Math.ceil(upper / 2)}`,
        );
        ctx.progress(describeStep('commitlog at half the lowest rate failed', halfRateUpper));
      }
    }
    const saturation = await runStep(
      ctx,
      started.target,
      { kind: 'closed', clients: options.clients, durationMs: options.saturationMs },
      'e2e-sat',
    );
    ctx.progress(describeStep('commitlog saturation', saturation));
    const saturationZipf = options.zipfSaturation
      ? await zipfSaturation(ctx, started.target, options, 'e2e')
      : undefined;
    return { ladder, halfRate, halfRateSettle, halfRateUpper, saturation, saturationZipf };
  } finally {
    await started.stop();
  }
}

/** Redis memory of `count` waiting commits of the workload, per commit (no worker takes them). */
export async function redisBytesPerWaitingCommit(
  ctx: BenchContext,
  count: number,
): Promise<number> {
  const started = await startCommitlog(ctx, 'commitlog (no worker)', { workers: 0, env: {} });
  try {
    const next = createWorkload({
      bucket: `${ctx.runTag}-memory`,
      keys: 10_000,
      distribution: 'uniform',
      seed: 7,
    });
    const poster = createSignedPoster({ url: started.target.url, secret: ctx.secret, sockets: 16 });
    // One commit first, so that the lane queues' own keys are not counted per commit.
    await poster.post(next(0).body);
    const before = await redisUsedMemory(ctx.redis.connection);
    let accepted = 0;
    for (let n = 1; n <= count; n += 16) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(16, count - n + 1) }, (_, i) =>
          poster.post(next(n + i).body),
        ),
      );
      accepted += batch.filter((r) => r.status === 202).length;
    }
    const after = await redisUsedMemory(ctx.redis.connection);
    poster.close();
    const perCommit = (after - before) / Math.max(1, accepted);
    ctx.progress(`  Redis: ${perCommit.toFixed(0)} bytes per waiting commit (${accepted} waiting)`);
    return perCommit;
  } finally {
    await started.stop();
  }
}

/**
 * Redis bytes of one delivered commit's de-duplication mark (a key with an expiry, kept for
 * DEDUP_WINDOW): `count` marks written in the worker's format and removed again.
 */
export async function redisBytesPerDeliveredMark(
  ctx: BenchContext,
  count: number,
): Promise<number> {
  const connection = ctx.redis.connection;
  const keys = Array.from(
    { length: count },
    (_, n) =>
      `${ctx.runTag}-marks:{lane-0000}:delivered:${createHash('sha256').update(String(n)).digest('hex')}`,
  );
  const before = await redisUsedMemory(connection);
  for (let i = 0; i < keys.length; i += 1000) {
    const pipeline = connection.pipeline();
    for (const key of keys.slice(i, i + 1000)) pipeline.set(key, '1', 'PX', 86_400_000);
    await pipeline.exec();
  }
  const after = await redisUsedMemory(connection);
  for (let i = 0; i < keys.length; i += 1000) await connection.del(...keys.slice(i, i + 1000));
  const perMark = (after - before) / count;
  ctx.progress(`  Redis: ${perMark.toFixed(0)} bytes per delivered commit's de-duplication mark`);
  return perMark;
}
