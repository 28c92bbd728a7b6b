import { CommitlogError, laneOf, MAX_LANES } from '@commitlog/core';
import { holdsCommit } from './commit-job.ts';
import { laneQueueName } from './lane-queue-name.ts';
import { dataNodes, type RedisConnection } from './redis-connection.ts';

/** Lanes whose head is read to judge the count they were stored under: enough, and bounded. */
const LANES_SAMPLED = 64;

/**
 * Lanes hold commits, but no lane count is recorded: its key was removed (by hand, a partial
 * restore) while commits waited. A process that recorded its own LANES now would file a key's
 * new commits in another lane than its waiting ones, and they would be delivered out of order.
 */
export class LaneCountUnrecordedError extends CommitlogError {
  readonly lanes: readonly number[];
  readonly fits: readonly number[];

  constructor(countKey: string, configured: number, lanes: readonly number[], fits: number[]) {
    const shown = lanes.slice(0, 8).join(', ') + (lanes.length > 8 ? ', …' : '');
    const which =
      fits.length === 1
        ? `Their keys agree with LANES=${fits[0]} alone`
        : fits.length === 0
          ? `Their keys agree with no single LANES`
          : `Their keys agree with LANES=${fits.slice(0, 6).join(', ')}${fits.length > 6 ? ', …' : ''}`;
    super(
      'LANES_UNRECORDED',
      `no lane count is recorded under ${countKey}, yet lanes ${shown} hold commits: ` +
        `the key was removed while they waited. ${which}, not with LANES=${configured} of this ` +
        `process, which would deliver their keys' new commits apart from the waiting ones, out ` +
        `of order. Record the count they were stored under (redis-cli SET ` +
        `'${countKey}' N) and start every process with LANES=N`,
      { retriable: false },
    );
    this.lanes = lanes;
    this.fits = fits;
  }
}

/** Escapes what SCAN's MATCH would take as a pattern in a literal part. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Escapes what a regular expression would take as syntax in a literal part. */
function regexLiteral(text: string): string {
  return text.replace(/[.*+?^$|()[\]{}\\]/g, '\\$&');
}

/** The lanes whose wait or active list holds jobs, by SCAN on every node that holds data. */
async function lanesWithJobs(connection: RedisConnection, prefix: string): Promise<number[]> {
  const found = new Set<number>();
  const pattern = `${globLiteral(prefix)}:{lane-*}:*`;
  const name = new RegExp(`^${regexLiteral(prefix)}:\\{lane-(\\d+)\\}:(wait|active)$`);
  for (const node of dataNodes(connection)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const lane = name.exec(key)?.[1];
        if (lane !== undefined) found.add(Number(lane));
      }
    } while (cursor !== '0');
  }
  return [...found].sort((a, b) => a - b);
}

/** The commit of the job at the consuming end of a lane (or in delivery), if it holds one. */
async function headCommit(
  connection: RedisConnection,
  prefix: string,
  lane: number,
): Promise<Parameters<typeof laneOf>[0] | undefined> {
  const base = `${prefix}:${laneQueueName(lane)}:`;
  const [active] = await connection.lrange(`${base}active`, 0, 0);
  const id = active ?? (await connection.lindex(`${base}wait`, -1));
  if (id === null || id === undefined) return undefined;
  const data = await connection.hget(`${base}${id}`, 'data');
  try {
    const parsed: unknown = JSON.parse(data ?? '');
    return holdsCommit(parsed) ? (parsed.commit as Parameters<typeof laneOf>[0]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throws `LaneCountUnrecordedError` when lanes hold commits that were not stored under `lanes`
 * though no count is recorded (call it only then): a lane past `lanes` holds jobs, or a lane's
 * head commit hashes to another lane under `lanes`. Nothing is in a lane of a Redis no process
 * has used, so a first start costs one SCAN of a nearly empty keyspace.
 */
export async function refuseUnrecordedLanes(
  connection: RedisConnection,
  prefix: string,
  lanes: number,
  countKey: string,
): Promise<void> {
  const holding = await lanesWithJobs(connection, prefix);
  if (holding.length === 0) return;
  const samples: { lane: number; commit: Parameters<typeof laneOf>[0] }[] = [];
  for (const lane of holding.slice(0, LANES_SAMPLED)) {
    const commit = await headCommit(connection, prefix, lane);
    if (commit !== undefined) samples.push({ lane, commit });
  }
  const fitsCount = (n: number): boolean =>
    holding.every((lane) => lane < n) && samples.every((s) => laneOf(s.commit, n) === s.lane);
  if (fitsCount(lanes)) return;
  const fits: number[] = [];
  for (let n = 1; n <= MAX_LANES; n++) if (fitsCount(n)) fits.push(n);
  throw new LaneCountUnrecordedError(countKey, lanes, holding, fits);
}
