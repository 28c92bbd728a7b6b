/**
 * The levers, each measured on and off in the same run: every setting is a commitlog system
 * started with that one change, measured by closed-loop saturation (throughput) and one open-loop
 * step at a fixed rate (latency). The default setting is measured again right before each lever's
 * other settings (paired): other work on this shared machine comes and goes within minutes, and a
 * default measured once at the start would compare settings across different loads.
 */
import type { BenchContext } from '../lib/bench-context.ts';
import type { LeverResult, StepResult } from '../lib/results.ts';
import { describeStep, runStep, warmUp } from '../lib/step-runner.ts';
import { startCommitlog, type CommitlogSetup } from './commitlog-target.ts';

interface Setting {
  setting: string;
  setup: CommitlogSetup;
}

interface Lever {
  lever: string;
  /** The default's setting name for this lever. */
  defaultSetting: string;
  others: Setting[];
}

const DEFAULTS: CommitlogSetup = { workers: 1, env: {} };

export const LEVERS: readonly Lever[] = [
  {
    lever: 'ingest micro-batching',
    defaultSetting: 'on',
    others: [{ setting: 'off', setup: { workers: 1, env: { INGEST_ENQUEUE_BATCHING: 'false' } } }],
  },
  {
    lever: 'worker gathering of lanes into one produce',
    defaultSetting: 'on (≤500 records)',
    others: [
      {
        // One record per request: a lane's followers cannot ride along either.
        setting: 'off (PRODUCE_BATCH_MAX=1)',
        setup: { workers: 1, env: { PRODUCE_BATCH_MAX: '1' } },
      },
    ],
  },
  {
    lever: 'lanes fetching their waiting jobs before one produce',
    defaultSetting: 'on (LANE_BATCH_MAX=100)',
    others: [
      {
        setting: 'off (LANE_BATCH_MAX=1)',
        setup: { workers: 1, env: { LANE_BATCH_MAX: '1' } },
      },
    ],
  },
  {
    lever: 'lanes',
    defaultSetting: '16',
    others: [
      { setting: '4', setup: { workers: 1, env: { LANES: '4' } } },
      { setting: '64', setup: { workers: 1, env: { LANES: '64' } } },
      { setting: '128', setup: { workers: 1, env: { LANES: '128' } } },
    ],
  },
  {
    lever: 'workers',
    defaultSetting: '1',
    others: [{ setting: '2', setup: { workers: 2, env: {} } }],
  },
  {
    lever: 'Kafka client',
    defaultSetting: '@platformatic/kafka',
    others: [
      {
        setting: 'kafkajs',
        setup: { workers: 1, env: { KAFKA_CLIENT: 'kafkajs' } },
      },
    ],
  },
];

export async function runLevers(
  ctx: BenchContext,
  options: {
    fixedRate: number;
    stepMs: number;
    clients: number;
    saturationMs: number;
    deadlineS: number;
    levers?: readonly Lever[];
  },
): Promise<LeverResult[]> {
  const levers = options.levers ?? LEVERS;
  const measure = async (
    label: string,
    setting: Setting,
  ): Promise<{ saturation: StepResult; fixedRate: StepResult; warmUp: StepResult }> => {
    const started = await startCommitlog(ctx, `commitlog [${label}]`, setting.setup);
    try {
      const warm = await warmUp(ctx, started.target, `lever-${label}`);
      const saturation = await runStep(
        ctx,
        started.target,
        { kind: 'closed', clients: options.clients, durationMs: options.saturationMs },
        `lever-${label}-sat`,
      );
      ctx.progress(describeStep(`[${label}] saturation`, saturation));
      const fixedRate = await runStep(
        ctx,
        started.target,
        { kind: 'open', rate: options.fixedRate, durationMs: options.stepMs },
        `lever-${label}-fixed`,
      );
      ctx.progress(describeStep(`[${label}] fixed rate`, fixedRate));
      return { saturation, fixedRate, warmUp: warm };
    } finally {
      await started.stop();
    }
  };

  ctx.progress(`levers: saturation and ${options.fixedRate}/s for each setting`);
  const results: LeverResult[] = [];
  for (const lever of levers) {
    if (ctx.elapsedS() > options.deadlineS) {
      ctx.progress(`  skipped ${lever.lever}: the run's time budget is spent`);
      continue;
    }
    const defaults = await measure(`${lever.lever}=default`.replace(/[^a-zA-Z0-9=]+/g, '-'), {
      setting: lever.defaultSetting,
      setup: DEFAULTS,
    });
    results.push({
      lever: lever.lever,
      setting: lever.defaultSetting,
      isDefault: true,
      ...defaults,
    });
    for (const other of lever.others) {
      const measured = await measure(
        `${lever.lever}=${other.setting}`.replace(/[^a-zA-Z0-9=]+/g, '-'),
        other,
      );
      results.push({ lever: lever.lever, setting: other.setting, isDefault: false, ...measured });
    }
  }
  return results;
}
