import type { DeliveryOverview, FailedReasonGroup } from '@commitlog/queue';
import type { LaneCountCache } from './failed-reasons-cache.ts';

/** The overview as the Deliveries page shows it: with when its failures by reason were read. */
export interface ShownOverview extends DeliveryOverview {
  /**
   * Epoch ms the failures by reason were read at (their cached reading's start), which may be a
   * minute or more before `at`, when the rest was read. Absent: read with the rest.
   */
  failedByReasonAt?: number;
}

/** `readDeliveryOverview` of some lanes, given how to read their failures by reason. */
export type ReadOverview = (
  readFailedByReason: (lanes: readonly number[]) => Promise<FailedReasonGroup[]>,
) => Promise<DeliveryOverview>;

/**
 * Reads the overview with its failures by reason from `failedReasons`, and says when those were
 * read: that cache keeps one reading for a minute or more (it walks every failed delivery),
 * while the rest of the overview is read afresh, and the page must not pass the one off as the
 * other.
 */
export async function readShownOverview(
  failedReasons: Pick<LaneCountCache<FailedReasonGroup[]>, 'readTimed'>,
  readOverview: ReadOverview,
): Promise<ShownOverview> {
  let failedByReasonAt: number | undefined;
  const overview = await readOverview(async (lanes) => {
    const reading = await failedReasons.readTimed(lanes.length);
    failedByReasonAt = reading.at;
    return reading.value;
  });
  return failedByReasonAt === undefined ? overview : { ...overview, failedByReasonAt };
}
