/** B4 (no-queue ceiling) and B5 (naive BullMQ): the designs commitlog is measured against, by ladder. */
import { deleteKeysMatching } from '@commitlog/queue';
import type { BenchContext } from '../lib/bench-context.ts';
import { startChild } from '../lib/child-process.ts';
import type { LadderOptions } from '../lib/rate-ladder.ts';
import type { LadderResult } from '../lib/results.ts';
import { describeStep, runStep, zipfSaturation, type Target } from '../lib/step-runner.ts';
import { runLadder } from './ladder.ts';

type Options = LadderOptions & {
  stepMs: number;
  clients: number;
  saturationMs: number;
  zipfSaturation: boolean;
};

/**
 * The ladder, then closed-loop saturation: a throughput to compare even when no rate keeps up;
 * and saturation with Zipf-skewed keys when asked for.
 */
async function ladderAndSaturation(
  ctx: BenchContext,
  target: Target,
  options: Options,
  label: string,
): Promise<LadderResult> {
  const ladder = await runLadder(ctx, target, { ...options, label });
  const saturation = await runStep(
    ctx,
    target,
    { kind: 'closed', clients: options.clients, durationMs: options.saturationMs },
    `${label}-sat`,
  );
  ctx.progress(describeStep(`${target.name} saturation`, saturation));
  const saturationZipf = options.zipfSaturation
    ? await zipfSaturation(ctx, target, options, label)
    : undefined;
  return { ...ladder, saturation, ...(saturationZipf ? { saturationZipf } : {}) };
}

export async function runNoQueueCeiling(
  ctx: BenchContext,
  options: Options,
): Promise<LadderResult> {
  const child = await startChild('baselines/no-queue-ceiling.ts', [], {
    BENCH_SECRET: ctx.secret,
    KAFKA_BROKERS: ctx.kafka.brokers.join(','),
  });
  try {
    const target: Target = {
      name: 'B4 no-queue ceiling',
      url: `http://127.0.0.1:${String(child.ready.port)}`,
      usesRedis: false,
      processes: () => ({ server: child.pid }),
    };
    return await ladderAndSaturation(ctx, target, options, 'b4');
  } finally {
    await child.stop();
  }
}

export async function runNaiveBullmq(ctx: BenchContext, options: Options): Promise<LadderResult> {
  const prefix = `${ctx.runTag}-b5`;
  const env = {
    BENCH_SECRET: ctx.secret,
    KAFKA_BROKERS: ctx.kafka.brokers.join(','),
    REDIS_URL: ctx.redis.url,
    BENCH_PREFIX: prefix,
  };
  const worker = await startChild('baselines/naive-bullmq.ts', ['worker'], env);
  try {
    const server = await startChild('baselines/naive-bullmq.ts', ['server'], env);
    try {
      const target: Target = {
        name: 'B5 naive BullMQ',
        url: `http://127.0.0.1:${String(server.ready.port)}`,
        usesRedis: true,
        processes: () => ({ server: server.pid, worker: worker.pid }),
      };
      return await ladderAndSaturation(ctx, target, options, 'b5');
    } finally {
      await server.stop();
    }
  } finally {
    await worker.stop();
    await deleteKeysMatching(ctx.redis.connection, `${prefix}:*`);
  }
}
