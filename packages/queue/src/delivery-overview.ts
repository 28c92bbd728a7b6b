import { readLaneStates, type LaneBacklog } from './lane-backlog.ts';
import { deliveryRates, type DeliveryMinute } from './delivery-rates.ts';
import { stallRecords, stallStreamKey, type HeldLane, type StallView } from './delivery-views.ts';
import {
  failedByReason,
  recentFailures,
  type FailedDelivery,
  type FailedReasonGroup,
} from './failed-deliveries.ts';
import type { RedisConnection } from './redis-connection.ts';

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

/** Reads every delivery view of `lanes` lanes. Read-only; safe from any role. */
export async function readDeliveryOverview(
  connection: RedisConnection,
  prefix: string,
  laneCount: number,
  options: OverviewOptions = {},
): Promise<DeliveryOverview> {
  const now = options.now ?? Date.now;
  const lanes = Array.from({ length: laneCount }, (_, lane) => lane);
  const at = now();
  const [{ backlogs, held }, failed, failures, stalls, stallsRecorded, rates] = await Promise.all([
    readLaneStates(connection, prefix, lanes, () => at),
    options.readFailedByReason?.(lanes) ?? failedByReason(connection, prefix, lanes),
    recentFailures(connection, prefix, lanes, options.failures ?? 20),
    stallRecords(connection, prefix, options.stalls ?? 20),
    connection.xlen(stallStreamKey(prefix)),
    deliveryRates(connection, prefix, lanes, options.minutes ?? 15, at),
  ]);
  return {
    at,
    backlogs,
    held,
    failedByReason: failed,
    recentFailures: failures,
    stalls,
    stallsRecorded,
    rates,
  };
}
