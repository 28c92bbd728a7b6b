/** The two run lengths: `pnpm bench` (full, under 15 min) and `pnpm bench --quick` (under 2 min). */
import type { LadderOptions } from './lib/rate-ladder.ts';

export interface RunOptions {
  mode: 'full' | 'quick';
  ladder: LadderOptions & { stepMs: number };
  baselineLadder: LadderOptions & { stepMs: number };
  clients: number;
  saturationMs: number;
  baselineMs: number;
  perfTestRecords: number;
  memoryCommits: number;
  /** How long the Kafka broker is warmed up before anything is measured (lib/broker-warm-up.ts). */
  brokerWarmUpMs: number;
  levers: boolean;
  /** Seconds after which no more lever settings are started, so the run ends in time. */
  leverDeadlineS: number;
}

export function runOptions(args: readonly string[]): RunOptions {
  const unknown = args.filter((a) => a !== '--quick');
  if (unknown.length > 0)
    throw new Error(`unknown argument(s): ${unknown.join(' ')} (usage: pnpm bench [--quick])`);
  if (args.includes('--quick')) {
    const ladder = {
      startRate: 250,
      factor: 2,
      maxSteps: 4,
      refinements: 1,
      maxRate: 20_000,
      tries: 2,
      stepMs: 2500,
    };
    return {
      mode: 'quick',
      ladder,
      baselineLadder: ladder,
      clients: 64,
      saturationMs: 2500,
      baselineMs: 2000,
      perfTestRecords: 20_000,
      memoryCommits: 1000,
      brokerWarmUpMs: 8000,
      levers: false,
      leverDeadlineS: 0,
    };
  }
  const ladder = {
    startRate: 200,
    factor: 1.5,
    maxSteps: 10,
    refinements: 1,
    maxRate: 20_000,
    tries: 2,
    stepMs: 8000,
  };
  return {
    mode: 'full',
    ladder,
    baselineLadder: ladder,
    clients: 64,
    saturationMs: 8000,
    baselineMs: 6000,
    perfTestRecords: 200_000,
    memoryCommits: 5000,
    brokerWarmUpMs: 30_000,
    levers: true,
    leverDeadlineS: 12 * 60,
  };
}
