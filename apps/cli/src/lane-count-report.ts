import {
  lanesHoldingCommits,
  readLaneCount,
  type HoldingLane,
  type RedisConnection,
} from '@commitlog/queue';

/** The recorded number of lanes, this process's LANES, and what would keep LANES from changing. */
export interface LaneCountReport {
  configured: number;
  recorded: number | undefined;
  /**
   * Lanes (of the recorded count, or up to LANES here) with commits waiting or in delivery, or
   * failed deliveries.
   */
  holding: HoldingLane[];
}

export async function readLaneCountReport(
  redis: RedisConnection,
  prefix: string,
  configured: number,
): Promise<LaneCountReport> {
  const recorded = await readLaneCount(redis, prefix);
  const holding =
    recorded === undefined
      ? []
      : await lanesHoldingCommits(redis, prefix, recorded, undefined, configured);
  return { configured, recorded, holding };
}

/**
 * Two lines: the lane count, and whether a change of LANES would be allowed now. Pending commits
 * refuse any change; failed deliveries refuse only a change that drops their lane (see
 * packages/queue/src/lane-count.ts for why).
 */
export function formatLaneCount(report: LaneCountReport): string[] {
  const { configured, recorded, holding } = report;
  if (recorded === undefined) {
    return [
      `lane count: none recorded yet (the first ingest or worker records LANES=${configured})`,
    ];
  }
  const first =
    recorded === configured
      ? `lane count: ${recorded} recorded (LANES=${configured} here)`
      : `lane count: ${recorded} recorded, but LANES=${configured} here`;
  const pending = holding.filter((h) => h.pending > 0);
  if (pending.length > 0) {
    const commits = pending.reduce((n, h) => n + h.pending, 0);
    return [
      first,
      `changing LANES: refused now, ${pending.length} lanes hold ${commits} commits waiting or in ` +
        'delivery (stop the ingests and let the workers deliver them; README, "Changing the number of lanes")',
    ];
  }
  const failedLanes = holding.filter((h) => h.failed > 0).map((h) => h.lane);
  if (failedLanes.length > 0) {
    const highest = Math.max(...failedLanes);
    return [
      first,
      `changing LANES: allowed now to ${highest + 1} or more; below that refused while lane ` +
        `${highest} holds failed deliveries (re-drive them, or wait for FAILED_RETENTION)`,
    ];
  }
  return [first, 'changing LANES: allowed now (no lane holds commits)'];
}
