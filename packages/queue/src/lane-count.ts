import { CommitlogError } from '@commitlog/core';
import type { RedisConnection } from './redis-connection.ts';

/**
 * The number of lanes is part of the data: a commit's lane is its key's hash modulo that number.
 * An ingest and a worker that disagree would file commits in lanes nobody reads, and a change
 * while lanes hold commits would reorder keys. The first process to use a Redis records it; every
 * later one must agree.
 */
export class LaneCountMismatchError extends CommitlogError {
  constructor(configured: number, recorded: number, key: string) {
    super(
      'LANES_MISMATCH',
      `LANES=${configured} but the queues in this Redis were made with LANES=${recorded}. ` +
        `Use LANES=${recorded}, or drain every lane first (no waiting or held commits), then delete ` +
        `the key ${key} and start again with the new number`,
      { retriable: false },
    );
  }
}

/** Where the lane count is recorded; the hash tag keeps it on one slot of a Redis Cluster. */
export function laneCountKey(prefix: string): string {
  return `${prefix}:{meta}:lanes`;
}

/** Records `lanes` for this prefix if nothing is recorded yet; throws if another number is. */
export async function claimLaneCount(
  connection: RedisConnection,
  prefix: string,
  lanes: number,
): Promise<void> {
  const key = laneCountKey(prefix);
  await connection.set(key, String(lanes), 'NX');
  const recorded = Number(await connection.get(key));
  if (recorded !== lanes) throw new LaneCountMismatchError(lanes, recorded, key);
}
