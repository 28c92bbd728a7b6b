/** The two run lengths: `pnpm bench` (full, under 15 min) and `pnpm bench --quick` (under 2 min). */
import type { LadderOptions } from './lib/rate-ladder.ts';

export interface RunOptions {
  mode: 'full' | 'quick';
  /**
   * The bench Redis's `appendfsync`: `always` (what commitlog asks of production, and the
   * default) or `everysec` (`--fsync=everysec`: what the designs would do if up to a second of
   * accepted commits could be lost on a crash). Every design of the run uses the same Redis.
   */
  redisFsync: 'always' | 'everysec';
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
  /**
   * Whether commitlog, B4 and B5 are also saturated with Zipf-skewed keys (the second key
   * distribution: hot keys crowd a few lanes, which the designs without lanes do not have).
   */
  zipfSaturation: boolean;
  /** Seconds after which no more lever settings are started, so the run ends in time. */
  leverDeadlineS: number;
}

const USAGE = 'usage: pnpm bench [--quick] [--fsync=always|everysec]';

export function runOptions(args: readonly string[]): RunOptions {
  const unknown = args.filter((a) => a !== '--quick' && !a.startsWith('--fsync='));
  if (unknown.length > 0) throw new Error(`unknown argument(s): ${unknown.join(' ')} (${USAGE})`);
  const fsync = args.findLast((a) => a.startsWith('--fsync='))?.slice('--fsync='.length);
  if (fsync !== undefined && fsync !== 'always' && fsync !== 'everysec') {
    throw new Error(`--fsync must be always or everysec, not "${fsync}" (${USAGE})`);
  }
  const redisFsync = fsync ?? 'always';
  if (args.includes('--quick')) {
    const ladder = {
      startRate: 250,
      factor: 2,
      maxSteps: 4,
      refinements: 1,
      maxRate: 20_000,
      tries: 2,
      stepMs: 2000,
    };
    return {
      mode: 'quick',
      redisFsync,
      ladder,
      baselineLadder: ladder,
      clients: 64,
      saturationMs: 2500,
      baselineMs: 2000,
      perfTestRecords: 20_000,
      memoryCommits: 1000,
      brokerWarmUpMs: 5000,
      levers: false,
      // Three more steps of 2.5 s and their read-backs would take quick mode past 2 minutes.
      zipfSaturation: false,
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
    redisFsync,
    ladder,
    baselineLadder: ladder,
    clients: 64,
    saturationMs: 8000,
    baselineMs: 6000,
    perfTestRecords: 200_000,
    memoryCommits: 5000,
    brokerWarmUpMs: 30_000,
    levers: true,
    zipfSaturation: true,
    leverDeadlineS: 12 * 60,
  };
}
