import {
  failedByReason,
  redrive as redriveFailed,
  RedriveInterruptedError,
  type FailedReasonGroup,
  type RedriveFilter,
  type RedriveResult,
} from '@commitlog/queue';
import { loadCliConfig, parseDurationSetting } from '@commitlog/runtime';
import { auditedCliAction, cliOperator } from '../cli-audit.ts';
import { CliError } from '../cli-error.ts';
import { connectCliRedis } from '../cli-redis.ts';
import { recordedLanes } from '../recorded-lanes.ts';

const FLAGS = ['--reason', '--bucket', '--bucket-type', '--older-than', '--job'] as const;
type Flag = (typeof FLAGS)[number];

function usage(message: string): CliError {
  return new CliError('USAGE', `redrive: ${message}`, 2);
}

/**
 * Reads `redrive`'s arguments: `--reason R`, `--bucket B`, `--bucket-type T` (Riak names a bucket
 * by both: `--bucket` alone takes it under every type), `--older-than 1h`, `--job ID` (each also
 * as `--flag=value`), or `--all`. At least one filter or `--all`, never both, so that a bare
 * `redrive` cannot move every failed delivery by mistake.
 */
export function parseRedriveArgs(args: readonly string[]): RedriveFilter {
  const values = new Map<Flag, string>();
  let all = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--all') {
      if (all) throw usage('--all given twice');
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
    throw usage(
      'give at least one filter (--reason, --bucket, --bucket-type, --older-than, --job) or --all',
    );
  }
  const filter: RedriveFilter = {};
  const reason = values.get('--reason');
  const bucket = values.get('--bucket');
  const bucketType = values.get('--bucket-type');
  const olderThan = values.get('--older-than');
  const job = values.get('--job');
  if (reason !== undefined) filter.reason = reason;
  if (bucket !== undefined) filter.bucket = bucket;
  if (bucketType !== undefined) filter.bucketType = bucketType;
  if (job !== undefined) filter.jobId = job;
  if (olderThan !== undefined) {
    // Read as a duration setting is: a unit is required (a bare 5 could be seconds or ms).
    const duration = parseDurationSetting(olderThan);
    if (!duration.ok) throw usage(`--older-than: ${duration.message}`);
    filter.olderThanMs = duration.value;
  }
  return filter;
}

/**
 * Where an operator finds the ids `--job` takes: `commitlog status` shows none of a failed
 * delivery's, the dashboard lists the recent ones and links each to its job.
 */
const WHERE_JOB_IDS_ARE =
  "the dashboard's Deliveries page lists recent failed deliveries with their jobs; /api/overview has the full ids";

/**
 * Why a filter matched nothing, or `undefined` when it matched something or none was given
 * (`--all`). An id, a reason or a bucket is typed by hand, and a typo must not pass for
 * `0 re-driven`; `reasons` (the failed deliveries by reason now) say what could have been meant.
 */
export function redriveNotFound(
  filter: RedriveFilter,
  result: RedriveResult,
  reasons: readonly Pick<FailedReasonGroup, 'reason' | 'count'>[],
): string | undefined {
  if (matchedCount(result) > 0) return undefined;
  if (filter.jobId !== undefined) {
    const others = [
      filter.reason === undefined ? [] : [`--reason ${JSON.stringify(filter.reason)}`],
      filter.bucket === undefined ? [] : [`--bucket ${JSON.stringify(filter.bucket)}`],
      filter.bucketType === undefined ? [] : [`--bucket-type ${JSON.stringify(filter.bucketType)}`],
      filter.olderThanMs === undefined ? [] : ['--older-than'],
    ].flat();
    // With other filters, the id may well be right and a filter what excluded it.
    return others.length > 0
      ? `redrive: no failed delivery has the id ${filter.jobId} and matches ${others.join(' and ')} (without them, --job looks for the id alone)`
      : `redrive: no failed delivery has the id ${filter.jobId} (${WHERE_JOB_IDS_ARE})`;
  }
  if (filter.reason === undefined) return notMatched(filter, reasons);
  const group = reasons.find((r) => r.reason === filter.reason);
  if (group !== undefined) {
    const others = [
      filter.bucket === undefined ? [] : ['--bucket'],
      filter.bucketType === undefined ? [] : ['--bucket-type'],
      filter.olderThanMs === undefined ? [] : ['--older-than'],
    ].flat();
    // With no other filter, they failed after the re-drive looked: running it again takes them.
    return others.length > 0
      ? `redrive: none of the ${group.count} failed deliveries with the reason "${filter.reason}" match ${others.join(' and ')}`
      : `redrive: ${group.count} deliveries with the reason "${filter.reason}" failed while it ran; run it again`;
  }
  if (reasons.length === 0) {
    return `redrive: no failed delivery has the reason "${filter.reason}": there are no failed deliveries`;
  }
  const present = reasons.map((r) => `${r.reason} (${r.count})`).join(', ');
  return `redrive: no failed delivery has the reason "${filter.reason}"; the reasons now: ${present}`;
}

/** Why `--bucket`, `--bucket-type` or `--older-than`, without `--reason` or `--job`, matched nothing. */
function notMatched(
  filter: RedriveFilter,
  reasons: readonly Pick<FailedReasonGroup, 'reason' | 'count'>[],
): string | undefined {
  const by = [
    filter.bucket === undefined ? [] : [`--bucket ${JSON.stringify(filter.bucket)}`],
    filter.bucketType === undefined ? [] : [`--bucket-type ${JSON.stringify(filter.bucketType)}`],
    filter.olderThanMs === undefined ? [] : ['--older-than'],
  ].flat();
  if (by.length === 0) return undefined;
  const total = reasons.reduce((sum, r) => sum + r.count, 0);
  if (total === 0) {
    return `redrive: no failed delivery matches ${by.join(' and ')}: there are no failed deliveries`;
  }
  // What the dashboard shows and `lanes --key` takes is type/bucket/key; --bucket is the name.
  const hint = filter.bucket?.includes('/')
    ? ' (--bucket takes the bucket name alone, without its bucket type or key: give the type as --bucket-type)'
    : '';
  return `redrive: none of the ${total} failed deliveries match ${by.join(' and ')}${hint}`;
}

/** How many failed deliveries the filter matched, whatever became of them. */
function matchedCount(result: RedriveResult): number {
  return (
    result.redriven +
    result.skipped +
    (result.unreadable?.count ?? 0) +
    (result.jobGone?.count ?? 0)
  );
}

/** What a re-drive did, for its audit record. */
function redriveOutcome(r: RedriveResult): Record<string, unknown> {
  return {
    redriven: r.redriven,
    skipped: r.skipped,
    ...(r.unreadable ? { leftFailed: r.unreadable.count } : {}),
    ...(r.jobGone ? { jobGone: r.jobGone.count } : {}),
  };
}

/** The ids a report names, and `…` when there were more. */
function idList({ count, ids }: { count: number; ids: readonly string[] }): string {
  return `${ids.join(', ')}${count > ids.length ? ', …' : ''}`;
}

/** What `redrive` prints when it is done. */
export function formatRedriveResult(result: RedriveResult): string {
  const skipped =
    result.skipped === 0
      ? ''
      : `, ${result.skipped} skipped (moved, removed or failed again meanwhile)`;
  const { unreadable, jobGone } = result;
  const left =
    unreadable === undefined
      ? ''
      : `, ${unreadable.count} left failed: their jobs hold no commit (their data in Redis is not valid JSON, or not a commit job's), so they cannot be re-driven: ` +
        `${idList(unreadable)} ` +
        `(the dashboard lists them as (unreadable); discard each with commitlog discard --job ID)`;
  // Counted as failed by `status` and the failed gauge (its alert), in no list: named only here.
  const gone =
    jobGone === undefined
      ? ''
      : `, ${jobGone.count} left failed: their jobs are gone from Redis (only their ids are left in the failed sets, which status counts), so there is nothing to re-drive: ` +
        `${idList(jobGone)} (remove each id with commitlog discard --job ID)`;
  return `redrive: ${result.redriven} re-driven${skipped}${left}${gone}`;
}

export interface RedriveOptions {
  args: readonly string[];
  /** REDIS_URL, QUEUE_PREFIX and LANES (read with the count recorded in Redis) come from here. */
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  /** Progress lines while a long re-drive runs. */
  err: (line: string) => void;
}

/** `commitlog redrive`: moves the matching failed deliveries back to the end of their lanes. */
export async function redrive(options: RedriveOptions): Promise<void> {
  const filter = parseRedriveArgs(options.args);
  const config = loadCliConfig(options.env);
  const redis = await connectCliRedis(config);
  try {
    const lanes = await recordedLanes(redis, config, 'redrive');
    const result = await auditedCliAction({
      redis,
      prefix: config.queuePrefix,
      by: cliOperator(options.env),
      action: 'redrive',
      asked: { filter: Object.keys(filter).length === 0 ? 'all' : { ...filter } },
      err: options.err,
      run: (signal) =>
        redriveFailed(
          redis,
          config.queuePrefix,
          lanes,
          filter,
          Date.now(),
          (p) => options.err(`redrive: ${p.redriven} re-driven so far`),
          (r) =>
            options.err(
              `redrive: ${r.read} failed deliveries read` +
                (filter.bucket === undefined && filter.bucketType === undefined
                  ? ''
                  : `, ${r.checked} checked for their bucket`) +
                ' so far',
            ),
          signal,
        ),
      outcome: redriveOutcome,
      outcomeBefore: (e) =>
        e instanceof RedriveInterruptedError ? redriveOutcome(e.partial) : undefined,
    });
    // Read only when a filter matched nothing: it scans every failed delivery again.
    const reasons =
      filter.jobId === undefined && Object.keys(filter).length > 0 && matchedCount(result) === 0
        ? await failedByReason(redis, config.queuePrefix, lanes, (read) =>
            options.err(
              `redrive: nothing matched; ${read} failed deliveries read again for their reasons so far`,
            ),
          )
        : [];
    const notFound = redriveNotFound(filter, result, reasons);
    if (notFound !== undefined) throw new CliError('NOT_FOUND', notFound);
    // Done, but not all of it: a script must not take it for a re-drive of everything it asked.
    if (result.unreadable || result.jobGone) {
      throw new CliError('LEFT_FAILED', formatRedriveResult(result));
    }
    options.out(formatRedriveResult(result));
  } finally {
    redis.disconnect();
  }
}
