/**
 * Runs one load step against a design (commitlog or a baseline behind the same HTTP API): a fresh
 * topic (append-time stamps), the workload, CPU and memory sampling, then the wait until Kafka
 * holds every accepted commit, and the oracle.
 */
import { defaultTopic } from '@commitlog/core';
import type { RecordStamp } from '@commitlog/kafka';
import { redisUsedMemory, type BenchContext } from './bench-context.ts';
import { closedLoop, epochClock, openLoop, type Send, type Sent } from './load-drivers.ts';
import { sampleUsage } from './proc-sampler.ts';
import { describeFlush, flushDisk } from './disk-flush.ts';
import { describeWorstStall, readRedisStalls, resetRedisStalls } from './redis-stalls.ts';
import type { StepResult } from './results.ts';
import { createSignedPoster } from './signed-poster.ts';
import { readBack } from './read-back.ts';
import { PRIMER_COMMITS, sendPrimers, withoutPrimers } from './step-primer.ts';
import { stepMetrics } from './step-metrics.ts';
import { judgeStep } from './sustainable.ts';
import { createWorkload, type KeyDistribution } from './workload.ts';

/** A design under load: where to post, and its processes (name → pid) to measure. */
export interface Target {
  name: string;
  url: string;
  processes(): Record<string, number>;
  /** Whether it keeps commits in Redis (then Redis memory is measured). */
  usesRedis: boolean;
  /** False for B1, which stores nothing: no Kafka oracle then. Default true. */
  deliversToKafka?: boolean;
}

export type StepSpec =
  | { kind: 'open'; rate: number; durationMs: number; keys?: KeyDistribution }
  | { kind: 'closed'; clients: number; durationMs: number; keys?: KeyDistribution };

const PARTITIONS = 4;
const KEYS = 10_000;
/** A disk flush before a design worth a progress line. */
const NOTABLE_FLUSH_BYTES = 64 * 2 ** 20;
/** Most commits one step may ask for, so a wild rate cannot exhaust memory. */
const MAX_STEP_COMMITS = 400_000;

/** For a tool that wants more of a step than its figures (bench/latency-breakdown.ts). */
export interface StepExtras {
  /** Record headers to read beside the commit id (`RecordStamp.also`). */
  alsoHeaders?: readonly string[];
  /** Handed every request's fate and every record's stamp before the step returns. */
  inspect?: (sent: readonly Sent[], stamps: readonly RecordStamp[]) => void;
  /** Run once the primers are on Kafka, right before the measured load (a counter's reset). */
  beforeLoad?: () => Promise<void>;
}

export async function runStep(
  ctx: BenchContext,
  target: Target,
  spec: StepSpec,
  label: string,
  extras: StepExtras = {},
): Promise<StepResult> {
  const bucket = `${ctx.runTag}-${label}`.replace(/[^a-zA-Z0-9-]/g, '-');
  const topic = defaultTopic('default', bucket);
  await ctx.kafka.admin.createTopic(topic, {
    partitions: PARTITIONS,
    configs: { 'message.timestamp.type': 'LogAppendTime' },
  });
  const next = createWorkload({
    bucket,
    keys: KEYS,
    distribution: spec.keys ?? 'uniform',
    seed: ctx.takeNumbers(0) + 1,
  });
  const poster = createSignedPoster({ url: target.url, secret: ctx.secret, sockets: 64 });
  const firstN = ctx.takeNumbers(MAX_STEP_COMMITS);
  const send = (n: number) => poster.post(next(n).body);
  const toKafka = target.deliversToKafka ?? true;
  // Closed however the step ends: its connections must not outlive it.
  const { primerIds, unvouchedPrimers, sent, start, end, usage, memoryBefore, memoryAfter } =
    await driveLoad(ctx, target, spec, {
      topic,
      toKafka,
      send,
      firstN,
      ...(extras.beforeLoad ? { beforeLoad: extras.beforeLoad } : {}),
    }).finally(() => poster.close());

  const accepted = sent.filter((s) => s.status >= 200 && s.status < 300);
  const acceptedIds = new Set([...primerIds, ...accepted.flatMap((s) => (s.id ? [s.id] : []))]);
  let allStamps: RecordStamp[] = [];
  if (toKafka) {
    const expected = accepted.length + primerIds.length;
    await waitForRecords(ctx, topic, expected, Math.max(30_000, 3 * spec.durationMs));
    allStamps = await readBack({
      read: () =>
        ctx.kafka.stamps.read([topic], 'commitlog-id', 120_000, {
          alsoHeaders: extras.alsoHeaders ?? [],
        }),
      accepted: acceptedIds,
      timeoutMs: 30_000,
      pauseMs: 1000,
      progress: (line) => ctx.progress(line),
    });
  }
  // At rest again, as before the load: the step's commits delivered and their jobs completed.
  const memoryDrained =
    target.usesRedis && toKafka ? await redisUsedMemory(ctx.redis.connection) : undefined;
  const { stamps, lostPrimers, primerDuplicates } = withoutPrimers(allStamps, primerIds);
  const redisStalls = target.usesRedis ? await readRedisStalls(ctx.redis.connection) : undefined;
  extras.inspect?.(sent, stamps);
  const metrics = stepMetrics(sent, stamps, { start, end });
  if (!toKafka) metrics.lost = 0;
  // A primer is an accepted commit like any other: one Kafka lacks is lost, a second copy a duplicate.
  metrics.lost += lostPrimers + unvouchedPrimers;
  metrics.duplicates += primerDuplicates;
  const rate = spec.kind === 'open' ? spec.rate : undefined;
  const verdict =
    rate === undefined
      ? { sustainable: true, reasons: [] }
      : judgeStep({
          rate,
          acceptedPerS: metrics.acceptedPerS,
          refused: metrics.refused,
          p99CommitToKafkaMs: metrics.commitToKafka.p99,
          backlogAtEnd: metrics.backlogAtEnd,
          backlogGrowthPerS: metrics.backlogGrowthPerS,
          lost: metrics.lost,
        });
  return {
    ...metrics,
    rate,
    ...(spec.kind === 'closed' ? { clients: spec.clients } : {}),
    durationS: (end - start) / 1000,
    loadWindow: { start, end },
    ...(toKafka ? { topic, recordsRead: allStamps.length } : {}),
    sustainable: verdict.sustainable,
    reasons: verdict.reasons,
    usage,
    ...(target.usesRedis
      ? {
          redisUsedBytes: {
            before: memoryBefore,
            after: memoryAfter,
            ...(memoryDrained === undefined ? {} : { drained: memoryDrained }),
          },
        }
      : {}),
    ...(redisStalls ? { redisStalls } : {}),
  };
}

/** A step's load: the primers, then the measured requests, with the processes' usage around them. */
async function driveLoad(
  ctx: BenchContext,
  target: Target,
  spec: StepSpec,
  load: {
    topic: string;
    toKafka: boolean;
    send: Send;
    firstN: number;
    beforeLoad?: () => Promise<void>;
  },
) {
  const { topic, toKafka, send, firstN } = load;
  let primerIds: string[] = [];
  let unvouchedPrimers = 0;
  if (toKafka) {
    // The step's topic is new to the design: its first records are sent before the clock starts.
    const primers = await sendPrimers(send, ctx.takeNumbers(PRIMER_COMMITS));
    primerIds = primers.ids;
    unvouchedPrimers = primers.unvouched;
    await waitForRecords(ctx, topic, primerIds.length, 30_000);
  }

  const pids: Record<string, number> = { ...target.processes(), loadgen: process.pid };
  const redisPid = ctx.redis.pid();
  const kafkaPid = ctx.kafka.pid();
  if (redisPid !== undefined && target.usesRedis) pids.redis = redisPid;
  if (kafkaPid !== undefined) pids.kafka = kafkaPid;
  const memoryBefore = target.usesRedis ? await redisUsedMemory(ctx.redis.connection) : NaN;
  if (target.usesRedis) await resetRedisStalls(ctx.redis.connection);
  await load.beforeLoad?.();
  const sampler = sampleUsage(pids);
  const clock = epochClock();
  const start = clock();
  let sent: Sent[];
  let end: number;
  // Stopped however the load ends: a failed step's sampler must not go on through the next parts.
  let usage: ReturnType<typeof sampler.stop>;
  try {
    if (spec.kind === 'open') {
      const durationMs = Math.min(spec.durationMs, (MAX_STEP_COMMITS / spec.rate) * 1000);
      sent = await openLoop({ rate: spec.rate, durationMs, send, firstN, now: clock });
      end = start + durationMs;
    } else {
      sent = await closedLoop({
        clients: spec.clients,
        durationMs: spec.durationMs,
        send,
        firstN,
        now: clock,
      });
      end = sent.reduce((latest, s) => Math.max(latest, s.answeredAt), start);
    }
  } finally {
    usage = sampler.stop();
  }
  const memoryAfter = target.usesRedis ? await redisUsedMemory(ctx.redis.connection) : NaN;
  return { primerIds, unvouchedPrimers, sent, start, end, usage, memoryBefore, memoryAfter };
}

/**
 * A short closed-loop step whose figures are dropped: the first requests of a fresh process pay for
 * JIT compilation, connection set-up and lazily created queues, which no design should be judged
 * by. Closed loop, so that every design's code runs thousands of times before it is measured: 300
 * requests (1.5 s at 200/s) left commitlog's first ladder steps at p50 10 ms against 4.5 ms for
 * the same settings later in the same run, after a saturation step. Ends with the disk flushed
 * (lib/disk-flush.ts).
 */
export async function warmUp(
  ctx: BenchContext,
  target: Target,
  label: string,
): Promise<StepResult> {
  const step = await runStep(
    ctx,
    target,
    { kind: 'closed', clients: 16, durationMs: 3000 },
    `${label}-warm-up`,
  );
  // Its latencies are a cold process's and are dropped; a lost commit is a lost commit.
  if (step.lost > 0) ctx.progress(`    ${target.name} warm-up: ${step.lost} accepted commits LOST`);
  // What the parts before wrote goes to the disk now, not while this design is measured.
  const flush = flushDisk();
  if (flush.pendingBytes >= NOTABLE_FLUSH_BYTES || flush.seconds >= 0.5) {
    ctx.progress(`    before ${target.name}: flushed ${describeFlush(flush)} to disk`);
  }
  return step;
}

/**
 * Closed-loop saturation with Zipf-skewed keys (s = 1.1 over the same key space): the same step as
 * a design's uniform saturation, the hot keys crowding a few of commitlog's lanes.
 */
export async function zipfSaturation(
  ctx: BenchContext,
  target: Target,
  options: { clients: number; saturationMs: number },
  label: string,
): Promise<StepResult> {
  const step = await runStep(
    ctx,
    target,
    { kind: 'closed', clients: options.clients, durationMs: options.saturationMs, keys: 'zipf' },
    `${label}-sat-zipf`,
  );
  ctx.progress(describeStep(`${target.name} saturation, Zipf keys`, step));
  return step;
}

/** Waits (bounded) until the topic holds at least `count` records: the design has drained. */
async function waitForRecords(
  ctx: BenchContext,
  topic: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await ctx.kafka.stamps.count([topic])) >= count) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  ctx.progress(
    `    (not all ${count} accepted commits reached ${topic} within ${timeoutMs / 1000} s)`,
  );
}

/** One progress line for a step. */
export function describeStep(name: string, s: StepResult): string {
  const what = s.rate === undefined ? `closed loop x${s.clients ?? '?'}` : `${s.rate}/s`;
  const verdict =
    s.rate === undefined ? '' : s.sustainable ? ' keeps up' : ` NOT: ${s.reasons.join('; ')}`;
  const stall = s.redisStalls ? `, Redis worst stall ${describeWorstStall(s.redisStalls)}` : '';
  return `  ${name} ${what}: accepted ${s.acceptedPerS.toFixed(0)}/s, delivered ${s.deliveredPerS.toFixed(0)}/s, commit→Kafka p50 ${s.commitToKafka.p50.toFixed(1)} p99 ${s.commitToKafka.p99.toFixed(1)} ms${stall}, lost ${s.lost}, dup ${s.duplicates}${verdict}`;
}
