/** The shape of a benchmark run's results: what the JSON holds and the report prints. */
import type { LatencySummary } from './latency.ts';
import type { ProcessUsage } from './proc-sampler.ts';
import type { RedisStall } from './redis-stalls.ts';
import type { StepMetrics } from './step-metrics.ts';

export interface StepResult extends StepMetrics {
  /** Asked rate, commits/s (open loop), or undefined for a closed-loop run. */
  rate: number | undefined;
  clients?: number;
  durationS: number;
  /** When the measured load began and ended (epoch ms): after the step's primers. */
  loadWindow: { start: number; end: number };
  /** The step's own topic, and how many records it held when the step read it back. */
  topic?: string;
  recordsRead?: number;
  sustainable: boolean;
  reasons: string[];
  usage: ProcessUsage[];
  /**
   * Redis `used_memory`, bytes (runs through Redis only): before the load, at rest; as the load
   * ended, with requests and deliveries in flight (their buffers, the backlog); and once Kafka
   * held the step's commits and they were read back, at rest again (`drained`; absent in runs
   * before 2026-12-07 and in steps that do not deliver to Kafka).
   */
  redisUsedBytes?: { before: number; after: number; drained?: number };
  /**
   * What Redis's latency monitor recorded from the step's start until Kafka held its commits,
   * worst first (runs through Redis only; empty when nothing took STALL_THRESHOLD_MS).
   */
  redisStalls?: RedisStall[];
}

/** An open-loop ladder of one design. */
export interface LadderResult {
  name: string;
  steps: StepResult[];
  /** Delivered/s of the highest sustainable step; undefined when none was. */
  maxSustainablePerS: number | undefined;
  /** Tries of a rate before it counted as not keeping up (absent: 1). */
  tries?: number;
  /** The closed-loop warm-up before the ladder: its figures are dropped, its losses are not. */
  warmUp?: StepResult;
  /** Closed-loop saturation of the same design (baselines B4 and B5). */
  saturation?: StepResult;
  /** The same with Zipf-skewed keys (full runs). */
  saturationZipf?: StepResult;
}

/** A simple throughput figure of a baseline that is not a ladder. */
export interface ThroughputResult {
  name: string;
  /** What was counted, e.g. "accepted", "records acked". */
  what: string;
  perS: number;
  /** Second figure where a baseline has two sides (BullMQ: added, then processed). */
  secondPerS?: number;
  latency?: LatencySummary;
  usage: ProcessUsage[];
}

export interface LeverResult {
  lever: string;
  setting: string;
  /** Whether this is the product's default setting. */
  isDefault: boolean;
  saturation: StepResult;
  /** An open-loop step at the same fixed rate for every setting of the run. */
  fixedRate: StepResult;
  /** The closed-loop warm-up before both: its figures are dropped, its losses are not. */
  warmUp?: StepResult;
}

export interface RunResults {
  startedAt: string;
  mode: 'full' | 'quick';
  /** The bench Redis's `appendfsync` (absent in runs before it could be chosen: `always`). */
  redisFsync?: 'always' | 'everysec';
  machine: { cpus: number; node: string };
  /** What warmed the Kafka broker before the first measurement. */
  brokerWarmUp?: { requests: number; seconds: number } | undefined;
  system: LadderResult;
  /** The open-loop step at half the max sustainable throughput. */
  halfRate: StepResult | undefined;
  /**
   * The step at the same rate right before it, whose figures are dropped (its losses count): the
   * system coming down from the overload that ended the ladder. Absent in runs before 2026-12-06.
   */
  halfRateSettle?: StepResult | undefined;
  /**
   * When `halfRate` met the latency target: the step at half the ladder's upper bound (the lowest
   * rate it failed), at or above half the true max, where a pass proves the target. Absent in
   * runs before 2026-12-07.
   */
  halfRateUpper?: StepResult | undefined;
  saturation: StepResult | undefined;
  /** Saturation with Zipf-skewed keys (full runs since 2026-12-07). */
  saturationZipf?: StepResult | undefined;
  redisBytesPerWaitingCommit: number | undefined;
  /** Redis bytes of one delivered commit's de-duplication mark, kept for DEDUP_WINDOW. */
  redisBytesPerDeliveredMark?: number | undefined;
  baselines: {
    b1Node?: ThroughputResult;
    b1Express?: ThroughputResult;
    b2?: ThroughputResult;
    b3?: ThroughputResult;
    b3Platformatic?: ThroughputResult;
    b3PerfTest?: ThroughputResult;
    b4?: LadderResult;
    b5?: LadderResult;
  };
  levers: LeverResult[];
  /**
   * Records that reached commitlog's step topics after each step read them back, counted at the
   * end of the run (minutes later, past any redelivery): late duplicates, which the steps' own
   * figures cannot see. Absent in runs before 2026-12-06 (night).
   */
  lateRecords?: { records: number; topics: number } | undefined;
  /** Things that went wrong in a part of the run which did not stop the rest. */
  errors: string[];
}
