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
      fits.length === 0
        ? 'Their head commits fit no LANES up to 4096'
        : `Their head commits fit LANES=${fits.slice(0, 6).join(', ')}${fits.length > 6 ? ', …' : ''}`;
    super(
      'LANES_UNRECORDED',
      `no lane count is recorded under ${countKey}, yet lanes ${shown} hold commits: the key ` +
        `was removed while they waited, and a process that recorded its own LANES (${configured} ` +
        `here) would deliver their keys' new commits apart from the waiting ones unless it is ` +
        `the count they were stored under. ${which}. Record that count (redis-cli SET ` +
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

/** A lane's lists and sets that hold commits still to deliver. */
const PENDING = new Set(['wait', 'active', 'delayed', 'prioritized']);

/**
 * The lanes that hold commits, by SCAN on every node that holds data: still to deliver (`pending`),
 * or failed (`failed`). Redis removes a list or sorted set that empties, so a key is a lane's
 * share of commits.
 */
async function lanesHolding(
  connection: RedisConnection,
  prefix: string,
): Promise<{ pending: number[]; failed: number[] }> {
  const pending = new Set<number>();
  const failed = new Set<number>();
  const pattern = `${globLiteral(prefix)}:{lane-*}:*`;
  const name = new RegExp(`^${regexLiteral(prefix)}:\\{lane-(\\d+)\\}:([a-z]+)$`);
  for (const node of dataNodes(connection)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const [, lane, list] = name.exec(key) ?? [];
        if (lane === undefined || list === undefined) continue;
        if (PENDING.has(list)) pending.add(Number(lane));
        if (list === 'failed') failed.add(Number(lane));
      }
    } while (cursor !== '0');
  }
  const sorted = (lanes: Set<number>): number[] => [...lanes].sort((a, b) => a - b);
  return { pending: sorted(pending), failed: sorted(failed) };
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
 * The counts the lanes' head commits agree with (each hashes to its lane under it, and no lane
 * holding commits is past it): what the error offers the operator, not a verdict, since a head
 * stands for its lane alone.
 */
async function countsTheyFit(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
): Promise<number[]> {
  const samples: { lane: number; commit: Parameters<typeof laneOf>[0] }[] = [];
  for (const lane of lanes.slice(0, LANES_SAMPLED)) {
    const commit = await headCommit(connection, prefix, lane);
    if (commit !== undefined) samples.push({ lane, commit });
  }
  const fits: number[] = [];
  for (let n = (lanes.at(-1) ?? 0) + 1; n <= MAX_LANES; n++) {
    if (samples.every((s) => laneOf(s.commit, n) === s.lane)) fits.push(n);
  }
  return fits;
}

/**
 * Throws `LaneCountUnrecordedError` when no count is recorded (call it only then) and lanes hold
 * commits still to deliver, or failed ones in lanes at or past `lanes`: their count's key was
 * removed, and whatever count is recorded now must be the one they were stored under, which no
 * process can tell for sure (a sample of commits fits several). The operator sets it back; the
 * error names the counts the lanes' head commits fit. Nothing is in a lane of a Redis no process
 * has used, so a first start costs one SCAN of a nearly empty keyspace.
 */
export async function refuseUnrecordedLanes(
  connection: RedisConnection,
  prefix: string,
  lanes: number,
  countKey: string,
): Promise<void> {
  const holding = await lanesHolding(connection, prefix);
  const failedPast = holding.failed.filter((lane) => lane >= lanes);
  if (holding.pending.length === 0 && failedPast.length === 0) return;
  const all = [...new Set([...holding.pending, ...failedPast])].sort((a, b) => a - b);
  const fits = await countsTheyFit(connection, prefix, holding.pending);
  throw new LaneCountUnrecordedError(countKey, lanes, all, fits);
}
