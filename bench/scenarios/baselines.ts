/** B1–B3: the throughput of each part alone, on the same payloads, in the same run. */
import { parseCommit } from '@commitlog/core';
import { deleteKeysMatching } from '@commitlog/queue';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext } from '../lib/bench-context.ts';
import { startChild } from '../lib/child-process.ts';
import { summarize } from '../lib/latency.ts';
import { runPerfTest } from '../lib/perf-test.ts';
import { sampleUsage } from '../lib/proc-sampler.ts';
import type { ThroughputResult } from '../lib/results.ts';
import { describeStep, runStep, warmUp } from '../lib/step-runner.ts';
import { createWorkload } from '../lib/workload.ts';

/** Wire-form commits of the workload, for the baselines that start below HTTP. */
function sampleCommits(bucket: string, count: number): unknown[] {
  const next = createWorkload({ bucket, keys: 10_000, distribution: 'uniform', seed: 99 });
  return Array.from({ length: count }, (_, n) => parseCommit(JSON.parse(next(n).body.toString())));
}

/** B1: node:http or express answering 202 after the ingest's checks, at saturation. */
export async function runBareHttp(
  ctx: BenchContext,
  flavour: 'node' | 'express',
  clients: number,
  durationMs: number,
): Promise<ThroughputResult> {
  const child = await startChild('baselines/bare-http.ts', [flavour], { BENCH_SECRET: ctx.secret });
  try {
    const name = `B1 ${flavour === 'node' ? 'node:http' : 'express'}`;
    const target = {
      name,
      url: `http://127.0.0.1:${String(child.ready.port)}`,
      usesRedis: false,
      deliversToKafka: false,
      processes: () => ({ server: child.pid }),
    };
    await warmUp(ctx, target, `b1-${flavour}`);
    const step = await runStep(
      ctx,
      target,
      { kind: 'closed', clients, durationMs },
      `b1-${flavour}`,
    );
    ctx.progress(describeStep(name, step));
    return {
      name,
      what: 'accepted',
      perS: step.acceptedPerS,
      latency: step.accept,
      usage: step.usage,
    };
  } finally {
    await child.stop();
  }
}

/** B2: BullMQ alone, addBulk in one process and a no-op worker (concurrency 100) in another. */
export async function runBullmqAlone(
  ctx: BenchContext,
  durationMs: number,
  dir: string,
): Promise<ThroughputResult> {
  const prefix = `${ctx.runTag}-b2`;
  const dataFile = join(dir, 'b2-jobs.json');
  const jobs = sampleCommits('b2', 200).map((commit, i) => ({
    id: `j${i}`,
    lane: i % 16,
    commit,
    receivedAt: new Date().toISOString(),
  }));
  await writeFile(dataFile, JSON.stringify(jobs));
  const env = { REDIS_URL: ctx.redis.url, BENCH_PREFIX: prefix };
  const worker = await startChild('baselines/bullmq-alone.ts', ['work'], env);
  try {
    const adder = await startChild(
      'baselines/bullmq-alone.ts',
      ['add', String(durationMs), dataFile],
      env,
    );
    const redisPid = ctx.redis.pid();
    const sampler = sampleUsage({
      adder: adder.pid,
      worker: worker.pid,
      ...(redisPid ? { redis: redisPid } : {}),
    });
    const startedAt = Date.now();
    const added = await adder.waitFor('added', durationMs + 60_000);
    const total = Number(added.added);
    // Processed/s: what the worker had completed, from the start, by when it completed the last
    // job added (its own clock, not when the bench read its report), or by when the wait gave up
    // (then it fell short, and the figure says so).
    let processedAt = Date.now();
    let processed = 0;
    for (const deadline = performance.now() + 60_000; performance.now() < deadline;) {
      const last = worker
        .lines()
        .filter((l) => 'processed' in l)
        .at(-1);
      processedAt = Number(last?.at ?? Date.now());
      processed = Math.min(total, Number(last?.processed ?? 0));
      if (processed >= total) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Fell short: its rate is over the whole wait, not up to its last completion.
    if (processed < total) processedAt = Date.now();
    const usage = sampler.stop();
    const shortfall =
      processed < total
        ? `the worker had processed ${processed} of ${total} jobs 60 s after the adding ended`
        : '';
    const result = {
      name: 'B2 BullMQ alone',
      what: shortfall === '' ? 'added / processed' : `added / processed (${shortfall})`,
      perS: total / Number(added.seconds),
      secondPerS: processed / Math.max(0.001, (processedAt - startedAt) / 1000),
      usage,
    };
    ctx.progress(
      `  B2: addBulk ${result.perS.toFixed(0)}/s, no-op worker ${result.secondPerS.toFixed(0)}/s${shortfall === '' ? '' : ` (fell short: ${shortfall})`}`,
    );
    await adder.stop();
    return result;
  } finally {
    await worker.stop();
    await deleteKeysMatching(ctx.redis.connection, `${prefix}:*`);
  }
}

/** B3: the project's producer alone, batches of `batch` records, acks=all. */
export async function runProducerAlone(
  ctx: BenchContext,
  durationMs: number,
  batch: number,
  dir: string,
  client: 'kafkajs' | 'platformatic' = 'kafkajs',
): Promise<ThroughputResult> {
  const bucket = `${ctx.runTag}-b3-${client}`;
  const file = join(dir, `b3-commits-${client}.json`);
  await writeFile(file, JSON.stringify({ commits: sampleCommits(bucket, 2000) }));
  await ctx.kafka.admin.createTopic(`riak.default.${bucket}`, { partitions: 4 });
  const child = await startChild(
    'baselines/producer-alone.ts',
    [String(durationMs), String(batch), file, client],
    { KAFKA_BROKERS: ctx.kafka.brokers.join(',') },
  );
  try {
    const kafkaPid = ctx.kafka.pid();
    const sampler = sampleUsage({ producer: child.pid, ...(kafkaPid ? { kafka: kafkaPid } : {}) });
    const done = await child.waitFor('sent', durationMs + 60_000);
    const usage = sampler.stop();
    const perS = Number(done.sent) / Number(done.seconds);
    const latency = summarize(done.batchLatenciesMs as number[]);
    ctx.progress(
      `  B3 producer (${client}): ${perS.toFixed(0)} records/s in batches of ${batch}, ack p50 ${latency.p50.toFixed(1)} ms p99 ${latency.p99.toFixed(1)} ms`,
    );
    return {
      name: `B3 our producer (${client})`,
      what: `records acked (batches of ${batch})`,
      perS,
      latency,
      usage,
    };
  } finally {
    await child.stop();
  }
}

/** B3b: Kafka's kafka-producer-perf-test from the broker jars. */
export async function runKafkaPerfTest(
  ctx: BenchContext,
  records: number,
  dir: string,
): Promise<ThroughputResult> {
  const topic = `${ctx.runTag}-perf-test`;
  await ctx.kafka.admin.createTopic(topic, { partitions: 4 });
  const kafkaPid = ctx.kafka.pid();
  const sampler = sampleUsage(kafkaPid ? { kafka: kafkaPid } : {});
  const { summary, output } = await runPerfTest({
    brokers: ctx.kafka.brokers,
    topic,
    records,
    payloadFile: join(dir, 'perf-payloads.txt'),
    env: process.env,
  });
  const usage = sampler.stop();
  if (!summary)
    throw new Error(`kafka-producer-perf-test printed no summary:\n${output.slice(-2000)}`);
  ctx.progress(
    `  B3 kafka-producer-perf-test: ${summary.recordsPerS.toFixed(0)} records/s, p50 ${summary.p50Ms} ms p99 ${summary.p99Ms} ms`,
  );
  return {
    name: 'B3 kafka-producer-perf-test',
    what: 'records acked',
    perS: summary.recordsPerS,
    latency: {
      count: summary.records,
      p50: summary.p50Ms,
      p99: summary.p99Ms,
      p999: summary.p999Ms,
      max: summary.maxMs,
    },
    usage,
  };
}
