import { randomUUID } from 'node:crypto';
import { CommitlogError } from '@commitlog/core';
import type { RedisConnection } from './redis-connection.ts';

/**
 * A change of the lane count under way (lane-count.ts). Checking "no lane holds commits" and then
 * changing the count is not atomic with an ingest's store: an ingest still on the old count could
 * read it, and add its commit under the old hash after the lanes were checked. So the process
 * changing the count first puts up this fence, which every store reads in the same command as the
 * count and refuses (503); waits out the stores that read the count before the fence went up; and
 * only then checks the lanes and changes the count. The fence expires by itself should that
 * process die half-way.
 */
export function laneChangeKey(prefix: string): string {
  // The `{meta}` hash tag puts it on the slot of the count itself: one MGET reads both.
  return `${prefix}:{meta}:lanes-changing`;
}

/** How long a fence stands at most: the wait for stores under way plus the check of every lane. */
export const FENCE_TTL_MS = 120_000;

/** A store refused, or a change deferred, because another process is changing the lane count. */
export class LaneCountChangingError extends CommitlogError {
  constructor(fence: string) {
    super(
      'LANES_CHANGING',
      `the number of lanes is being changed (to ${fence.split(':')[0] ?? '?'}) by another process; try again once it is done`,
      { retriable: true },
    );
  }
}

/** Deletes the fence only if it is still this process's own (it may have expired and been retaken). */
const RELEASE_IF_OURS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export interface LaneChangeFence {
  /** What the fence holds while it is this process's own. */
  token: string;
  /** Takes it down if it is still this process's own; never throws (it expires anyway). */
  release(): Promise<void>;
}

/**
 * Puts up the fence for a change to `lanes`, or resolves to undefined when another process's
 * fence stands.
 */
export async function raiseLaneChangeFence(
  connection: RedisConnection,
  prefix: string,
  lanes: number,
): Promise<LaneChangeFence | undefined> {
  const key = laneChangeKey(prefix);
  const token = `${lanes}:${randomUUID()}`;
  const raised = await connection.set(key, token, 'PX', FENCE_TTL_MS, 'NX');
  // A SET that Redis ran before the connection dropped is sent again when it comes back, and
  // that second run finds the fence up: this process's own, which the key says by its token.
  if (raised !== 'OK' && (await connection.get(key)) !== token) return undefined;
  return {
    token,
    async release() {
      // A failure here must not replace the change's own outcome: the fence expires by itself.
      await connection.eval(RELEASE_IF_OURS, 1, key, token).catch(() => undefined);
    },
  };
}
