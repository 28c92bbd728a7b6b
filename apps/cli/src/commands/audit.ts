import { readAuditTrail, type AuditRecord } from '@commitlog/queue';
import { loadCliConfig } from '@commitlog/runtime';
import { oneLine } from '@commitlog/runtime/one-line';
import { CliError } from '../cli-error.ts';
import { connectCliRedis } from '../cli-redis.ts';

const DEFAULT_LAST = 20;
const MAX_LAST = 10_000;

/** `audit`'s one optional argument, `--last N` (or `--last=N`): how many records, newest first. */
export function parseAuditArgs(args: readonly string[]): number {
  if (args.length === 0) return DEFAULT_LAST;
  const [first = '', second] = args;
  const value =
    args.length === 1 && first.startsWith('--last=')
      ? first.slice('--last='.length)
      : args.length === 2 && first === '--last'
        ? second
        : undefined;
  const last = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || last < 1 || last > MAX_LAST) {
    throw new CliError(
      'USAGE',
      `audit: takes --last N, a whole number from 1 to ${MAX_LAST} (${DEFAULT_LAST} when not given), and nothing else`,
      2,
    );
  }
  return last;
}

/**
 * One record on one line: when, where from, who, what, and its detail as JSON. Every field goes
 * through `oneLine`: the trail holds what operators and dashboard users typed (COMMITLOG_OPERATOR,
 * a user name), and a new line there would print as a second, forged record, an escape sequence
 * would drive the terminal. JSON escapes the C0 controls of the detail but not C1 or U+2028.
 */
export function formatAuditRecord(record: AuditRecord): string {
  return [record.at, record.via, record.by, record.action, JSON.stringify(record.detail)]
    .map(oneLine)
    .join('  ');
}

export interface AuditOptions {
  args: readonly string[];
  /** REDIS_URL and QUEUE_PREFIX come from here. */
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
}

/**
 * `commitlog audit [--last N]`: the newest records of the audit trail, what operators did to
 * deliveries from the CLI (redrive, discard) and the dashboard (re-drives, pauses, resumes).
 */
export async function audit(options: AuditOptions): Promise<void> {
  const last = parseAuditArgs(options.args);
  const config = loadCliConfig(options.env);
  const redis = await connectCliRedis(config);
  try {
    const records = await readAuditTrail(redis, config.queuePrefix, last);
    if (records.length === 0) {
      options.out('audit: no record yet');
      return;
    }
    for (const record of records) options.out(formatAuditRecord(record));
  } finally {
    redis.disconnect();
  }
}
