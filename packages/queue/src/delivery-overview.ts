import { readLaneStates, type LaneBacklog } from './lane-backlog.ts';
import { deliveryRates, type DeliveryMinute } from './delivery-rates.ts';
import { stallRecords, stallStreamKey, type HeldLane, type StallView } from './delivery-views.ts';
import {
  failedByReason,
  newestFailedIds,
  newestFirst,
  recentFailures,
  type FailedDelivery,
  type FailedId,
  type FailedReasonGroup,
} from './failed-deliveries.ts';
import type { RedisConnection } from './redis-connection.ts';
import { inLaneBatches } from './with-lane-queue.ts';

/** What is stuck, since when and why, read at one moment: the dashboard's and `status`'s data. */
export interface DeliveryOverview {
  /** Epoch ms of the reading. */
  at: number;
  backlogs: LaneBacklog[];
  held: HeldLane[];
  failedByReason: FailedReasonGroup[];
  recentFailures: FailedDelivery[];
  /** The newest stall records, at most `OverviewOptions.stalls` of them. */
  stalls: StallView[];
  /** How many stall records Redis keeps in all (the views show the newest). */
  stallsRecorded: number;
  /** Delivered and failed per minute, oldest first, the current (partial) minute last. */
  rates: DeliveryMinute[];
}

export interface OverviewOptions {
  /** Stall records shown, newest first. Default 20. */
  stalls?: number;
  /** Individual failed deliveries shown, newest first. Default 20. */
  failures?: number;
  /** Minutes of delivery rates. Default 15. */
  minutes?: number;
  now?: () => number;
  /**
   * Reads the failed deliveries grouped by reason, the costly part (every failed job is read):
   * the dashboard gives a cached one. Default `failedByReason` on `connection`.
   */
  readFailedByReason?: (lanes: readonly number[]) => Promise<FailedReasonGroup[]>;
}

/** The views of one batch of lanes (see `inLaneBatches`). */
interface BatchViews {
  backlogs: LaneBacklog[];
  held: HeldLane[];
  rates: DeliveryMinute[];
  newestFailed: FailedId[];
}

/**
 * Reads every delivery view of `lanes` lanes. Read-only; safe from any role.
 *
 * The lanes are read a batch at a time (`inLaneBatches`): up to 4,096 of them, each opening its
 * queue for its backlog and its rates. The newest failures are found by their ids and times in
 * each batch, and only the lanes of the `failures` newest of all are read again for them (their
 * jobs hold the commits, up to a megabyte each).
 */
export async function readDeliveryOverview(
  connection: RedisConnection,
  prefix: string,
  laneCount: number,
  options: OverviewOptions = {},
): Promise<DeliveryOverview> {
  const now = options.now ?? Date.now;
  const lanes = Array.from({ length: laneCount }, (_, lane) => lane);
  const at = now();
  const limit = options.failures ?? 20;
  const minutes = options.minutes ?? 15;
  const readLanes = async (): Promise<BatchViews[]> =>
    inLaneBatches(lanes, async (batch) => {
      const [states, rates, newestFailed] = await Promise.all([
        readLaneStates(connection, prefix, batch, () => at),
        deliveryRates(connection, prefix, batch, minutes, at),
        // ZREVRANGE 0 -1 would read every failed job
        limit > 0 ? newestFailedIds(connection, prefix, batch, limit) : [],
      ]);
      return { ...states, rates, newestFailed };
    });
  const [batches, failed, stalls, stallsRecorded] = await Promise.all([
    readLanes(),
    options.readFailedByReason?.(lanes) ?? failedByReason(connection, prefix, lanes),
    stallRecords(connection, prefix, options.stalls ?? 20),
    connection.xlen(stallStreamKey(prefix)),
  ]);
  const newest = batches
    .flatMap((b) => b.newestFailed)
    .sort(newestFirst)
    .slice(0, limit);
  // The newest of all are the newest of their own lanes.
  const failures = await recentFailures(
    connection,
    prefix,
    [...new Set(newest.map((f) => f.lane))].sort((a, b) => a - b),
    limit,
  );
  return {
    at,
    backlogs: batches.flatMap((b) => b.backlogs),
    held: batches.flatMap((b) => b.held),
    failedByReason: failed,
    recentFailures: failures,
    stalls,
    stallsRecorded,
    // Of no lane: the minutes, at zero, that the batches' counts add to.
    rates: sumRates(
      await deliveryRates(connection, prefix, [], minutes, at),
      batches.map((b) => b.rates),
    ),
  };
}

/** `zero` (the minutes at zero) plus the rates of each batch, which have the same minutes. */
function sumRates(
  zero: readonly DeliveryMinute[],
  batches: readonly DeliveryMinute[][],
): DeliveryMinute[] {
  return zero.map((minute, i) => ({
    minute: minute.minute,
    delivered: batches.reduce((sum, b) => sum + (b[i]?.delivered ?? 0), minute.delivered),
    failed: batches.reduce((sum, b) => sum + (b[i]?.failed ?? 0), minute.failed),
  }));
}
