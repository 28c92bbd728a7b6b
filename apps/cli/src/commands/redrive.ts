import { parseDuration } from '@commitlog/core';
import {
  lanesToCover,
  readLaneCount,
  redrive as redriveFailed,
  type RedriveFilter,
} from '@commitlog/queue';
import { loadCliConfig } from '@commitlog/runtime';
import { CliError } from '../cli-error.ts';
import { connectCliRedis } from '../cli-redis.ts';

const FLAGS = ['--reason', '--bucket', '--older-than', '--job'] as const;
type Flag = (typeof FLAGS)[number];

function usage(message: string): CliError {
  return new CliError('USAGE', `redrive: ${message}`, 2);
}

/**
 * Reads `redrive`'s arguments: `--reason R`, `--bucket B`, `--older-than 1h`, `--job ID` (each also
 * as `--flag=value`), or `--all`. At least one filter or `--all`, never both, so that a bare
 * `redrive` cannot move every failed delivery by mistake.
 */
export function parseRedriveArgs(args: readonly string[]): RedriveFilter {
  const values = new Map<Flag, string>();
  let all = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--all') {
      all = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (!(FLAGS as readonly string[]).includes(name)) throw usage(`unknown argument "${arg}"`);
    const flag = name as Flag;
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) {
      throw usage(`${flag} needs a value`);
    }
    if (values.has(flag)) throw usage(`${flag} given twice`);
    values.set(flag, value);
  }
  if (all && values.size > 0) throw usage('--all cannot be combined with filters');
  if (!all && values.size === 0) {
    throw usage('give at least one filter (--reason, --bucket, --older-than, --job) or --all');
  }
  const filter: RedriveFilter = {};
  const reason = values.get('--reason');
  const bucket = values.get('--bucket');
  const olderThan = values.get('--older-than');
  const job = values.get('--job');
  if (reason !== undefined) filter.reason = reason;
  if (bucket !== undefined) filter.bucket = bucket;
  if (job !== undefined) filter.jobId = job;
  if (olderThan !== undefined) {
    try {
      filter.olderThanMs = parseDuration(olderThan);
    } catch (error) {
      throw usage(`--older-than: ${(error as Error).message}`);
    }
  }
  return filter;
}

/** What `redrive` prints when it is done. */
export function formatRedriveResult(result: { redriven: number; skipped: number }): string {
  const skipped =
    result.skipped === 0 ? '' : `, ${result.skipped} skipped (moved or removed meanwhile)`;
  return `redrive: ${result.redriven} re-driven${skipped}`;
}

export interface RedriveOptions {
  args: readonly string[];
  /** REDIS_URL, QUEUE_PREFIX and LANES (read with the count recorded in Redis) come from here. */
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
}

/** `commitlog redrive`: moves the matching failed deliveries back to the end of their lanes. */
export async function redrive(options: RedriveOptions): Promise<void> {
  const filter = parseRedriveArgs(options.args);
  const config = loadCliConfig(options.env);
  const redis = await connectCliRedis(config);
  try {
    const recorded = await readLaneCount(redis, config.queuePrefix);
    const count = lanesToCover(recorded, config.lanes);
    const lanes = Array.from({ length: count }, (_, lane) => lane);
    const result = await redriveFailed(redis, config.queuePrefix, lanes, filter);
    if (filter.jobId !== undefined && result.redriven + result.skipped === 0) {
      throw new CliError(
        'NOT_FOUND',
        `redrive: no failed delivery has the id ${filter.jobId} (commitlog status lists them)`,
      );
    }
    options.out(formatRedriveResult(result));
  } finally {
    redis.disconnect();
  }
}
