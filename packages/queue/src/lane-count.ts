import { setTimeout as sleep } from 'node:timers/promises';
import { CommitlogError } from '@commitlog/core';
import {
  FENCE_TTL_MS,
  laneChangeKey,
  LaneCountChangingError,
  raiseLaneChangeFence,
} from './lane-change-fence.ts';
import type { RedisConnection } from './redis-connection.ts';
import { refuseUnrecordedLanes } from './unrecorded-lane-count.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/**
 * The number of lanes is part of the data: a commit's lane is its key's hash modulo that number.
 * An ingest and a worker that disagree would file commits in lanes nobody reads, and a change
 * while lanes hold commits would reorder keys (a key's older commit waits in its old lane while a
 * newer one is delivered from its new lane). The first process to use a Redis records the number;
 * a later process with another number changes it only when no lane holds commits.
 *
 * What "holds commits" means:
 * - a commit waiting, delayed, held by a retry or being delivered, in any lane: it would be
 *   delivered out of order with newer commits of its key filed under the new number;
 * - a failed delivery in a lane the new number drops (lane >= new LANES): a re-drive puts it back
 *   into its own lane, which no worker would read any more. Failed deliveries in lanes that stay
 *   do not block: a re-driven commit arrives after newer ones whatever the lane count (its vclock
 *   tells consumers), and its lane is still read.
 * Delivered jobs (kept for de-duplication) never block; after a change, a commit retried by the
 * hook may land in another lane and be delivered twice, with the same `commitlog-id`.
 */
export class LaneCountMismatchError extends CommitlogError {
  constructor(configured: number, recorded: number) {
    super(
      'LANES_MISMATCH',
      `LANES=${configured} but the queues in this Redis are now made with LANES=${recorded} ` +
        `(another process changed it): restart this process with LANES=${recorded}`,
      { retriable: false },
    );
  }
}

/** A lane that keeps the number of lanes from changing, and what it holds. */
export interface HoldingLane {
  lane: number;
  /** Commits waiting, delayed, held by a retry or being delivered. */
  pending: number;
  /** Failed deliveries; they block only when the new number drops this lane. */
  failed: number;
}

/** A change of LANES refused because lanes hold commits; the message says how to drain. */
export class LaneCountChangeRefusedError extends CommitlogError {
  readonly holding: readonly HoldingLane[];

  constructor(configured: number, recorded: number, holding: readonly HoldingLane[]) {
    const shown = holding
      .slice(0, 5)
      .map((h) =>
        [
          `lane ${h.lane}:`,
          h.pending > 0 ? `${h.pending} waiting or in delivery` : '',
          h.failed > 0 && h.lane >= configured ? `${h.failed} failed` : '',
        ]
          .filter((part) => part !== '')
          .join(' '),
      );
    const more = holding.length > shown.length ? `, and ${holding.length - shown.length} more` : '';
    super(
      'LANES_CHANGE_REFUSED',
      `LANES=${configured} but the queues in this Redis were made with LANES=${recorded}, and ` +
        `${holding.length} of those lanes still hold commits (${shown.join('; ')}${more}). ` +
        `LANES changes by itself only when no lane holds commits. To drain: run every process ` +
        `with LANES=${recorded} again, stop every ingest (the Riak hook retries and then logs to ` +
        `its failure log, which \`commitlog requeue\` replays), let the workers deliver what ` +
        `waits until \`commitlog status\` shows the change as allowed (re-drive, or let expire, ` +
        `failed deliveries in lanes ${configured} and above), then start every process with ` +
        `LANES=${configured}`,
      { retriable: false },
    );
    this.holding = holding;
  }
}

/** Where the lane count is recorded; the hash tag keeps it on one slot of a Redis Cluster. */
export function laneCountKey(prefix: string): string {
  return `${prefix}:{meta}:lanes`;
}

/** The recorded number of lanes, or undefined when no process has used this prefix yet. */
export async function readLaneCount(
  connection: RedisConnection,
  prefix: string,
): Promise<number | undefined> {
  const value = await connection.get(laneCountKey(prefix));
  return value === null ? undefined : Number(value);
}

/**
 * How many lanes a reader (status, re-drive, the dashboard) must cover: every lane the count
 * recorded in Redis says exists, as well as the reader's own LANES. The ingest and the workers
 * refuse to run with a LANES that differs from the recorded count, but a reader only reads: with
 * its LANES unset or stale it would otherwise hide what waits or failed in the lanes past it. A
 * lane past both is empty, so the larger of the two misses nothing.
 */
export function lanesToCover(recorded: number | undefined, configured: number): number {
  return Math.max(recorded ?? 0, configured);
}

/**
 * The recorded number of lanes as a store must read it before it files commits: refused with
 * `LaneCountChangingError` while another process is changing it (lane-change-fence.ts). One MGET:
 * the count and the fence share a hash slot, so this costs a store no more than a GET.
 */
export async function readLaneCountForStore(
  connection: RedisConnection,
  prefix: string,
): Promise<number | undefined> {
  const [count, fence] = await connection.mget(laneCountKey(prefix), laneChangeKey(prefix));
  if (fence !== null && fence !== undefined) throw new LaneCountChangingError(fence);
  return count === null || count === undefined ? undefined : Number(count);
}

/** Lanes read at once: a recorded count may be up to 4,096 and each read opens a queue. */
const READ_AT_ONCE = 32;

/**
 * The lanes that keep the `recorded` count from changing to `proposed` (see the rules above):
 * those of the recorded count, and those up to `proposed` (or `alsoUpTo`) beyond it. A lane past
 * the recorded count may still hold commits stored under an earlier, higher count (a store on a
 * Cluster refused after its add, its commit then stored again under the new count): raised again,
 * the count would have workers deliver them after their keys' newer versions. Without `proposed`,
 * failed deliveries are reported wherever they are.
 */
export async function lanesHoldingCommits(
  connection: RedisConnection,
  prefix: string,
  recorded: number,
  proposed?: number,
  alsoUpTo = 0,
): Promise<HoldingLane[]> {
  const holding: HoldingLane[] = [];
  const end = Math.max(recorded, proposed ?? 0, alsoUpTo);
  for (let first = 0; first < end; first += READ_AT_ONCE) {
    const lanes = Array.from({ length: Math.min(READ_AT_ONCE, end - first) }, (_, i) => first + i);
    const counts = await Promise.all(
      lanes.map((lane) =>
        withLaneQueue(connection, prefix, lane, (queue) =>
          queue.getJobCounts(
            'wait',
            'active',
            'delayed',
            'prioritized',
            'waiting-children',
            'failed',
          ),
        ),
      ),
    );
    counts.forEach((c, i) => {
      const lane = lanes[i] ?? 0;
      const failed = c.failed ?? 0;
      const pending = Object.entries(c)
        .filter(([state]) => state !== 'failed')
        .reduce((sum, [, n]) => sum + n, 0);
      const failedBlocks = failed > 0 && (proposed === undefined || lane >= proposed);
      if (pending > 0 || failedBlocks) holding.push({ lane, pending, failed });
    });
  }
  return holding;
}

/**
 * Changes the count (KEYS[1]) from ARGV[1] to ARGV[2] only while the fence (KEYS[2], same slot)
 * still holds this process's token ARGV[3]: -1 when the fence lapsed (stores may have gone on
 * under the old count since), 0 when another process changed the count, 1 when changed.
 */
const CHANGE_UNDER_FENCE = `
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return -1 end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

/**
 * How long a change waits, fence up, before it checks the lanes: longer than an ingest on a Redis
 * Cluster takes from the answer to its count read to sending its add (milliseconds; seconds only
 * for a stalled process; on one Redis the count is read in the script that adds). Redis runs
 * commands in the order they arrive, so an add sent before the checks is seen by them, however
 * slow Redis itself is.
 */
const STORES_UNDER_WAY_MS = 3000;

/** How often a change waits to see another process's change done. */
const OTHER_CHANGE_POLL_MS = 250;

export interface LaneCountClaimOptions {
  /**
   * False: only record the count when none is; another recorded count throws
   * `LaneCountMismatchError`. What a store does (an ingest started while Redis was away): a
   * change waits for stores under way, which a request must not, and is a start-up's to make.
   * Default true.
   */
  change?: boolean;
  /** The wait for stores under way (default 3 s); shorter only in tests. */
  storesUnderWayMs?: number;
  /**
   * How long to wait for another process's change of the count to end before giving up with
   * `LaneCountChangingError`. Default: as long as a fence may stand.
   */
  otherChangeWaitMs?: number;
}

export interface LaneCountClaim {
  /** The number recorded before, when this call changed it. */
  changedFrom: number | undefined;
}

/** Where a role says that it changed the recorded number (its logger). */
export interface LaneCountLog {
  warn(fields: { lanes: number; previousLanes: number }, message: string): void;
}

/**
 * Records `lanes` for this prefix if nothing is recorded yet. If another number is recorded,
 * changes it when no lane holds commits (and says so on `log`), and throws
 * `LaneCountChangeRefusedError` otherwise.
 */
export async function claimLaneCount(
  connection: RedisConnection,
  prefix: string,
  lanes: number,
  log?: LaneCountLog,
  options: LaneCountClaimOptions = {},
): Promise<LaneCountClaim> {
  const waitUntil = Date.now() + (options.otherChangeWaitMs ?? FENCE_TTL_MS);
  let claim: LaneCountClaim | 'again';
  do {
    claim = await claimOnce(connection, prefix, lanes, options, waitUntil);
  } while (claim === 'again');
  if (claim.changedFrom !== undefined) {
    log?.warn(
      { lanes, previousLanes: claim.changedFrom },
      'LANES changed: no lane held commits, so the queues now use the new number',
    );
  }
  return claim;
}

/** One try; 'again' when another process changed the count or is changing it. */
async function claimOnce(
  connection: RedisConnection,
  prefix: string,
  lanes: number,
  options: LaneCountClaimOptions,
  waitUntil: number,
): Promise<LaneCountClaim | 'again'> {
  const key = laneCountKey(prefix);
  // None recorded: a first start, or its key removed while lanes held commits (see there). Written
  // only then: a Redis past its maxmemory refuses even a SET NX that changes nothing, and a
  // process restarted during such an incident would exit rather than wait for room.
  let recorded = await readLaneCount(connection, prefix);
  if (recorded === undefined) {
    await refuseUnrecordedLanes(connection, prefix, lanes, key);
    await connection.set(key, String(lanes), 'NX');
    recorded = await readLaneCount(connection, prefix);
  }
  if (recorded === undefined || recorded === lanes) return { changedFrom: undefined };
  if (options.change === false) throw new LaneCountMismatchError(lanes, recorded);
  // Refused at once, fence never up, when lanes hold commits: a process started with a wrong
  // LANES (a crash-looping pod) must not take every ingest's stores down while it finds out.
  const holdingBefore = await lanesHoldingCommits(connection, prefix, recorded, lanes);
  if (holdingBefore.length > 0) {
    throw new LaneCountChangeRefusedError(lanes, recorded, holdingBefore);
  }
  const fence = await raiseLaneChangeFence(connection, prefix, lanes);
  if (!fence) {
    const other = await connection.get(laneChangeKey(prefix));
    if (Date.now() >= waitUntil) throw new LaneCountChangingError(other ?? String(lanes));
    await sleep(OTHER_CHANGE_POLL_MS);
    return 'again';
  }
  let changed: unknown;
  try {
    await sleep(options.storesUnderWayMs ?? STORES_UNDER_WAY_MS);
    const holding = await lanesHoldingCommits(connection, prefix, recorded, lanes);
    if (holding.length > 0) throw new LaneCountChangeRefusedError(lanes, recorded, holding);
    changed = await connection.eval(
      CHANGE_UNDER_FENCE,
      2,
      key,
      laneChangeKey(prefix),
      String(recorded),
      String(lanes),
      fence.token,
    );
  } finally {
    await fence.release();
  }
  // Another process changed the count meanwhile (judge again against what it recorded), or the
  // fence lapsed during a long check (stores may have gone on: check again under a new one).
  return changed === 1 ? { changedFrom: recorded } : 'again';
}
