import { laneOf, parseKeyAddress, ValidationError, type KeyAddress } from '@commitlog/core';
import {
  lanesToCover,
  readLaneBacklogs,
  readLaneLocations,
  type LaneBacklog,
  type LaneLocation,
} from '@commitlog/queue';
import { loadCliConfig, maskRedisUrl } from '@commitlog/runtime';
import { CliError } from '../cli-error.ts';
import { connectCliRedis } from '../cli-redis.ts';
import {
  formatLaneCount,
  readLaneCountReport,
  type LaneCountReport,
} from '../lane-count-report.ts';
import { formatTable } from '../text-table.ts';

/** Everything `commitlog lanes` shows. */
export interface LanesSnapshot {
  redisUrl: string;
  prefix: string;
  laneCount: LaneCountReport;
  locations: LaneLocation[];
  backlogs: LaneBacklog[];
}

/**
 * The lanes `commitlog lanes` shows: those of the recorded count and of this shell's LANES if
 * higher, as status, redrive and discard cover them (`lanesToCover`). With the count lowered, a
 * commit left in a lane past it waits for no worker; `lanes` on the old number must show it
 * (README, "Changing the number of lanes").
 */
export function lanesShown(report: LaneCountReport): number[] {
  return Array.from({ length: lanesToCover(report.recorded, report.configured) }, (_, i) => i);
}

/**
 * The lane map as plain text: the count, lanes per Redis node, then one row per lane, a lane past
 * the recorded count marked `*` and explained below. Pure.
 */
export function formatLanes(s: LanesSnapshot): string[] {
  const perNode = new Map<string, number>();
  for (const l of s.locations) perNode.set(l.node, (perNode.get(l.node) ?? 0) + 1);
  const cluster = s.locations.some((l) => l.slot !== undefined);
  const backlog = new Map(s.backlogs.map((b) => [b.lane, b]));
  const { recorded, configured } = s.laneCount;
  const past = (lane: number): boolean => recorded !== undefined && lane >= recorded;
  return [
    `commitlog lanes  redis ${maskRedisUrl(s.redisUrl)}  prefix ${s.prefix}`,
    ...formatLaneCount(s.laneCount),
    cluster
      ? `Redis Cluster: lanes on ${perNode.size} primaries: ` +
        [...perNode].map(([node, n]) => `${node} ${n}`).join(', ')
      : 'one Redis (not a cluster): every lane on it',
    '',
    ...formatTable(
      ['LANE', 'QUEUE', 'SLOT', 'NODE', 'WAITING', 'ACTIVE', 'FAILED', 'PAUSED'],
      s.locations.map((l) => {
        const b = backlog.get(l.lane);
        return [
          past(l.lane) ? `${l.lane}*` : String(l.lane),
          l.queue,
          l.slot === undefined ? '-' : String(l.slot),
          l.node,
          String(b?.waiting ?? 0),
          String(b?.active ?? 0),
          String(b?.failed ?? 0),
          b?.paused ? 'yes' : '-',
        ];
      }),
    ),
    ...(s.locations.some((l) => past(l.lane))
      ? [
          `* past the ${recorded} lanes recorded, shown for LANES=${configured} here: only a ` +
            'worker still on an earlier count reads them (README, "Changing the number of lanes")',
        ]
      : []),
  ];
}

/**
 * The line `lanes --key` adds when no lane count is recorded under QUEUE_PREFIX: its lane is then
 * this shell's LANES's guess, and the missing count may be a mistyped prefix or database.
 */
export function unrecordedLaneCountLine(prefix: string, configured: number): string {
  return (
    `note: no lane count is recorded under QUEUE_PREFIX "${prefix}" on this Redis (no ingest or ` +
    `worker ran with it; check QUEUE_PREFIX and the database in REDIS_URL): the lane was ` +
    `computed from LANES=${configured} here`
  );
}

/**
 * What `lanes --key` prints: the key as it was read (which slash began the key is not always
 * what was meant: `users/a/b` is bucket type `users`), then its lane and where that lives. A
 * binary shows in its JSON form, so `{"base64": …}` shows that bytes were read.
 */
export function formatKeyLane(
  key: KeyAddress,
  lane: number,
  count: number,
  where: { queue?: string; slot?: number | undefined; node?: string } | undefined,
): string[] {
  const slot = where?.slot === undefined ? '' : `, slot ${where.slot}`;
  const read = `bucket type ${JSON.stringify(key.bucketType)}, bucket ${JSON.stringify(key.bucket)}, key ${JSON.stringify(key.key)}`;
  const lines = [
    `${read} -> lane ${lane} of ${count} (${where?.queue ?? '?'}${slot}, on ${where?.node ?? '?'})`,
  ];
  // Logs show a binary that is not UTF-8 as `base64:…`, which reads back here as that text.
  if (
    [key.bucketType, key.bucket, key.key].some(
      (b) => typeof b === 'string' && b.startsWith('base64:'),
    )
  ) {
    lines.push(
      'note: "base64:…" was read as text; for a log\'s non-UTF-8 binary give its bytes as JSON: ' +
        `--key '{"bucket": "b", "key": {"base64": "…"}}'`,
    );
  }
  return lines;
}

const KEY_FORMS = 'TYPE/BUCKET/KEY, BUCKET/KEY or {"bucketType", "bucket", "key"} JSON';

/**
 * `TYPE/BUCKET/KEY` or `BUCKET/KEY` (bucket type `default`; the key may hold more slashes), or
 * JSON `{"bucketType"?, "bucket", "key"}` with each a string or `{"base64": "..."}` as in a
 * commit: the form for binaries that are not UTF-8 or that hold a slash.
 */
export function parseKeyArgument(text: string): KeyAddress {
  if (text.trimStart().startsWith('{')) return parseKeyJson(text);
  const parts = text.split('/');
  if (parts.length < 2 || parts.some((p, i) => p === '' && i < parts.length - 1)) {
    throw new CliError('USAGE', `lanes --key takes ${KEY_FORMS}, got "${text}"`, 2);
  }
  const address =
    parts.length === 2
      ? { bucketType: 'default', bucket: parts[0]!, key: parts[1]! }
      : { bucketType: parts[0]!, bucket: parts[1]!, key: parts.slice(2).join('/') };
  // As the JSON form and the ingest say: Riak has no empty key.
  if (address.key === '') throw new CliError('USAGE', 'lanes --key: key: must not be empty', 2);
  return address;
}

function parseKeyJson(text: string): KeyAddress {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new CliError('USAGE', `lanes --key: not valid JSON (${(error as Error).message})`, 2);
  }
  try {
    return parseKeyAddress(input);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new CliError('USAGE', `lanes --key: ${error.message}`, 2);
    }
    throw error;
  }
}

function usage(message: string): CliError {
  return new CliError(
    'USAGE',
    `lanes: ${message} (lanes takes no arguments, or --key with ${KEY_FORMS})`,
    2,
  );
}

/**
 * Reads `lanes`'s arguments: none, or `--key TYPE/BUCKET/KEY` as two words or as `--key=…`, the
 * two forms `redrive` takes too.
 */
export function parseLanesArgs(args: readonly string[]): { key?: string } {
  let key: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (name !== '--key') throw usage(`unknown argument "${arg}"`);
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) {
      throw usage('--key needs a value');
    }
    if (key !== undefined) throw usage('--key given twice');
    key = value;
  }
  return key === undefined ? {} : { key };
}

export interface LanesOptions {
  args: readonly string[];
  /** REDIS_URL, QUEUE_PREFIX and LANES come from here. */
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
}

/**
 * `commitlog lanes`: the lane count, whether it could change now, and where each lane lives
 * (queue, cluster slot and node) with what it holds. `--key TYPE/BUCKET/KEY` (or `--key=…`) prints
 * one key's lane.
 */
export async function lanes(options: LanesOptions): Promise<void> {
  const { key: value } = parseLanesArgs(options.args);
  const key = value === undefined ? undefined : parseKeyArgument(value);
  const config = loadCliConfig(options.env);
  const redis = await connectCliRedis(config);
  try {
    const laneCount = await readLaneCountReport(redis, config.queuePrefix, config.lanes);
    if (key !== undefined) {
      // The lane the ingest files the key in: by the recorded count, which it must run with.
      const count = laneCount.recorded ?? config.lanes;
      const lane = laneOf(key, count);
      const [where] = await readLaneLocations(redis, config.queuePrefix, [lane]);
      for (const line of formatKeyLane(key, lane, count, where)) options.out(line);
      if (laneCount.recorded === undefined) {
        options.out(unrecordedLaneCountLine(config.queuePrefix, config.lanes));
      }
      return;
    }
    const all = lanesShown(laneCount);
    const [locations, backlogs] = await Promise.all([
      readLaneLocations(redis, config.queuePrefix, all),
      readLaneBacklogs(redis, config.queuePrefix, all),
    ]);
    const snapshot = { redisUrl: config.redisUrl, prefix: config.queuePrefix, laneCount };
    for (const line of formatLanes({ ...snapshot, locations, backlogs })) options.out(line);
  } finally {
    redis.disconnect();
  }
}
