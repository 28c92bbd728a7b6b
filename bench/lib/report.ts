/** The terminal report of a run: the summary with ratios to B1–B5, the ladders, resources, targets, levers. */
import type { LadderResult, RunResults, StepResult, ThroughputResult } from './results.ts';
import { describeWorstStall } from './redis-stalls.ts';
import { judgeTargets, ladderBounds, maxSustainableStep } from './targets.ts';
import { mib, num, ratio, textTable, triple } from './text-table.ts';

function summaryTable(run: RunResults): string {
  const e2e = run.system.maxSustainablePerS;
  const sat = run.saturation;
  const top = maxSustainableStep(run.system);
  const rows: string[][] = [
    [
      'commitlog, max sustainable (open loop)',
      num(top?.acceptedPerS),
      `${ladderBounds(run.system).upper === undefined && e2e !== undefined ? '≥ ' : ''}${num(e2e)}`,
      triple(top?.accept),
      triple(top?.commitToKafka),
      '1.00×',
    ],
    [
      'commitlog, saturation (closed loop)',
      num(sat?.acceptedPerS),
      num(sat?.deliveredPerS),
      triple(sat?.accept),
      triple(sat?.commitToKafka),
      '—',
    ],
  ];
  const simple = (
    label: string,
    b: ThroughputResult | undefined,
    against: number | undefined,
  ): string[] => [
    label,
    num(b?.perS),
    num(b?.secondPerS),
    triple(b?.latency),
    '—',
    ratio(against, b?.secondPerS ?? b?.perS),
  ];
  // A ladder that ran out of steps before a rate failed (its top step is no ceiling) gives only
  // a floor: its figure is "≥", and a ratio against it a bound, or not known when both are.
  const open = (l: LadderResult | undefined): boolean =>
    l !== undefined && l.maxSustainablePerS !== undefined && ladderBounds(l).upper === undefined;
  const ladder = (label: string, b: LadderResult | undefined): string[] => {
    const s = b ? maxSustainableStep(b) : undefined;
    const ours = open(run.system);
    const theirs = open(b);
    const bound = ours && theirs ? undefined : ours ? '≥ ' : theirs ? '≤ ' : '';
    const r = ratio(e2e, b?.maxSustainablePerS);
    return [
      label,
      num(s?.acceptedPerS),
      `${theirs ? '≥ ' : ''}${num(b?.maxSustainablePerS)}`,
      triple(s?.accept),
      triple(s?.commitToKafka),
      r === '—' ? r : bound === undefined ? 'not known' : `${bound}${r}`,
    ];
  };
  /** A saturation step's row; its ratio against `against` (commitlog's), or none for that one. */
  const saturated = (
    label: string,
    s: StepResult | undefined,
    against: StepResult | undefined = sat,
  ): string[] => [
    label,
    num(s?.acceptedPerS),
    num(s?.deliveredPerS),
    triple(s?.accept),
    triple(s?.commitToKafka),
    s === against ? '—' : ratio(against?.deliveredPerS, s?.deliveredPerS),
  ];
  const b = run.baselines;
  rows.push(
    simple('B1 node:http 202, no Redis (saturation)', b.b1Node, sat?.acceptedPerS),
    simple('B1 express 202, no Redis (saturation)', b.b1Express, sat?.acceptedPerS),
    simple('B2 BullMQ addBulk / no-op worker', b.b2, sat?.deliveredPerS),
    simple('B3 our producer alone (kafkajs), acks=all', b.b3, sat?.deliveredPerS),
    simple('B3 our producer alone (@platformatic/kafka)', b.b3Platformatic, sat?.deliveredPerS),
    simple('B3 kafka-producer-perf-test, acks=all', b.b3PerfTest, sat?.deliveredPerS),
    ladder('B4 no-queue ceiling, max sustainable', b.b4),
    saturated('B4 no-queue ceiling, saturation', b.b4?.saturation),
    ladder('B5 naive BullMQ, max sustainable', b.b5),
    saturated('B5 naive BullMQ, saturation', b.b5?.saturation),
  );
  // The same saturations with Zipf-skewed keys (full runs): ratios among themselves.
  const zipf = run.saturationZipf;
  if (zipf) {
    rows.push(
      saturated('commitlog, saturation, Zipf keys', zipf, zipf),
      saturated('B4 no-queue ceiling, saturation, Zipf keys', b.b4?.saturationZipf, zipf),
      saturated('B5 naive BullMQ, saturation, Zipf keys', b.b5?.saturationZipf, zipf),
    );
  }
  return textTable(
    [
      'design',
      'accepted/s',
      'delivered/s',
      'accept ms p50/p99/p99.9',
      'commit→Kafka ms p50/p99/p99.9',
      'commitlog ÷ this',
    ],
    rows,
  );
}

function ladderTable(ladder: LadderResult): string {
  return textTable(
    [
      'rate/s',
      'accepted/s',
      'delivered/s',
      'accept ms p50/p99/p99.9',
      'commit→Kafka ms p50/p99/p99.9',
      'Redis worst stall',
      'backlog',
      'lost',
      'dup',
      'verdict',
    ],
    ladder.steps.map((s) => [
      num(s.rate),
      num(s.acceptedPerS),
      num(s.deliveredPerS),
      triple(s.accept),
      triple(s.commitToKafka),
      describeWorstStall(s.redisStalls),
      String(s.backlogAtEnd),
      String(s.lost),
      String(s.duplicates),
      s.sustainable ? 'keeps up' : s.reasons.join('; '),
    ]),
  );
}

function resourcesTable(step: StepResult | undefined): string {
  if (!step) return '(no sustainable step)';
  return textTable(
    ['process', 'CPU s', 'CPU ms per commit', 'peak RSS MiB'],
    step.usage.map((u) => [
      u.name,
      num(u.cpuSeconds),
      num((u.cpuSeconds * 1000) / Math.max(1, step.accepted)),
      mib(u.peakRssBytes),
    ]),
  );
}

/**
 * The measured processes together over a step: CPU per commit, and how many of the machine's
 * cores they kept busy. Where the cores are nearly all busy, latency is queueing for them.
 */
function machineLoad(step: StepResult, cpus: number): string {
  const cpu = step.usage.reduce((sum, u) => sum + u.cpuSeconds, 0);
  return `all processes ${num((cpu * 1000) / Math.max(1, step.accepted))} CPU ms per commit, ${num(cpu / Math.max(step.durationS, 1e-9))} of ${cpus} cores busy`;
}

function leverTable(run: RunResults): string {
  return textTable(
    [
      'lever',
      'setting',
      'saturation delivered/s',
      `commit→Kafka ms at ${run.levers[0]?.fixedRate.rate ?? '?'}/s p50/p99/p99.9`,
      'lost',
      'dup',
    ],
    run.levers.map((l) => {
      // A warm-up's losses and duplicates count too, as a step's (its latencies do not).
      const steps = [l.warmUp, l.saturation, l.fixedRate];
      const sum = (of: (s: StepResult) => number) =>
        steps.reduce((total, s) => total + (s ? of(s) : 0), 0);
      return [
        l.lever,
        `${l.setting}${l.isDefault ? ' (default)' : ''}`,
        num(l.saturation.deliveredPerS),
        triple(l.fixedRate.commitToKafka),
        String(sum((s) => s.lost)),
        String(sum((s) => s.duplicates)),
      ];
    }),
  );
}

export function formatReport(run: RunResults): string {
  const top = maxSustainableStep(run.system);
  const parts = [
    `commitlog benchmark (${run.mode}), ${run.startedAt}, ${run.machine.cpus} CPUs, Node ${run.machine.node}, Redis appendfsync ${run.redisFsync ?? 'always'}`,
    run.brokerWarmUp
      ? `Kafka broker warmed up first: ${run.brokerWarmUp.requests} produce requests in ${run.brokerWarmUp.seconds.toFixed(0)} s`
      : 'Kafka broker NOT warmed up: the first design measured ran on a cold broker',
    '',
    summaryTable(run),
    '',
    "commitlog open-loop ladder (latency from each request's intended send time):",
    ladderTable(run.system),
  ];
  for (const b of [run.baselines.b4, run.baselines.b5]) {
    if (b) parts.push('', `${b.name} ladder:`, ladderTable(b));
  }
  parts.push(
    '',
    `resources at commitlog's max sustainable step (${num(top?.rate)}/s):`,
    resourcesTable(top),
    ...(top ? [machineLoad(top, run.machine.cpus)] : []),
    `Redis bytes per waiting commit: ${num(run.redisBytesPerWaitingCommit)}; per delivered commit (its de-duplication mark, kept for DEDUP_WINDOW): ${num(run.redisBytesPerDeliveredMark)}`,
    ...(run.lateRecords
      ? [
          `late duplicates (records in commitlog's ${run.lateRecords.topics} step topics that came after each step read it, counted at the end of the run): ${run.lateRecords.records}`,
        ]
      : []),
  );
  if (run.halfRate) {
    parts.push(
      `at half of it (${num(run.halfRate.rate)}/s): commit→Kafka p50/p99/p99.9 ${triple(run.halfRate.commitToKafka)} ms; ${machineLoad(run.halfRate, run.machine.cpus)}`,
    );
  }
  if (run.halfRateUpper) {
    parts.push(
      `at half the lowest rate failed (${num(run.halfRateUpper.rate)}/s): commit→Kafka p50/p99/p99.9 ${triple(run.halfRateUpper.commitToKafka)} ms; ${machineLoad(run.halfRateUpper, run.machine.cpus)}`,
    );
  }
  parts.push(
    '',
    'targets:',
    textTable(
      ['target', 'met', 'figures'],
      judgeTargets(run).map((v) => [
        v.target,
        v.met === undefined ? 'not known' : v.met ? 'met' : 'NOT met',
        v.detail,
      ]),
    ),
  );
  if (run.levers.length > 0) parts.push('', 'levers (each on and off, same run):', leverTable(run));
  if (run.errors.length > 0) parts.push('', 'errors:', ...run.errors.map((e) => `  ${e}`));
  return parts.join('\n');
}
