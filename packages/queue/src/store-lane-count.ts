import { claimLaneCount } from './lane-count.ts';
import type { RedisConnection } from './redis-connection.ts';
import { LaneCountUnrecordedError } from './unrecorded-lane-count.ts';

/** How long a store answers with a lane count's refusal before it asks Redis again, ms. */
const UNRECORDED_REFUSAL_KEPT_MS = 5000;

/**
 * The lane count as the ingest's stores agree to it, once: the first store records the count if
 * none is, but never changes it (a change waits for stores under way and is a start-up's to
 * make); another count recorded throws (503, LANES_MISMATCH). Agreed once, it is not asked again.
 * A refusal because lanes hold commits of an unrecorded count is kept for a few seconds: each such
 * claim SCANs the keyspace, and a store asks per flush.
 */
export function storeLaneCount(options: {
  connection: RedisConnection;
  prefix: string;
  lanes: number;
}): { agree(): Promise<void> } {
  let agreed = false;
  let refused: { error: unknown; until: number } | undefined;
  return {
    async agree() {
      if (agreed) return;
      if (refused !== undefined && Date.now() < refused.until) throw refused.error;
      try {
        await claimLaneCount(options.connection, options.prefix, options.lanes, undefined, {
          change: false,
        });
      } catch (error) {
        if (error instanceof LaneCountUnrecordedError) {
          refused = { error, until: Date.now() + UNRECORDED_REFUSAL_KEPT_MS };
        }
        throw error;
      }
      agreed = true;
    },
  };
}
