import type { RedisConnection } from './redis-connection.ts';
import { withLaneQueue } from './with-lane-queue.ts';

/** Minutes of delivered/failed counts the lane workers keep per lane (BullMQ metrics): a day. */
export const METRIC_MINUTES_KEPT = 24 * 60;

const MINUTE = 60_000;

/** One minute of delivery outcomes over every lane. */
export interface DeliveryMinute {
  /** Epoch ms of the minute's start. */
  minute: number;
  delivered: number;
  failed: number;
}

/** A lane's BullMQ metrics for one outcome, as `Queue.getMetrics` returns them. */
export interface OutcomeMetrics {
  meta: { count: number; prevTS: number; prevCount: number };
  /** Counts per minute, most recent first. */
  data: number[];
}

/**
 * Counts per minute, oldest first, for the `minutes` minutes up to and including the one holding
 * `now`. BullMQ updates its metrics only when a job finishes: `data[i]` counts the minute `i + 1`
 * before the one holding `prevTS`, and the jobs finished since then (`count - prevCount`) are all
 * in `prevTS`'s minute; minutes after it, with no job finished, count zero.
 */
export function perMinute(metrics: OutcomeMetrics, minutes: number, now: number): number[] {
  const current = Math.floor(now / MINUTE);
  const last = Math.floor(metrics.meta.prevTS / MINUTE);
  return Array.from({ length: minutes }, (_, i) => {
    const m = current - (minutes - 1 - i);
    if (metrics.meta.prevTS === 0 || m > last) return 0;
    if (m === last) return Math.max(0, metrics.meta.count - metrics.meta.prevCount);
    return metrics.data[last - 1 - m] ?? 0;
  });
}

/** Delivered and failed per minute over `lanes`, oldest minute first, the current one last. */
export async function deliveryRates(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  minutes: number,
  now: number = Date.now(),
): Promise<DeliveryMinute[]> {
  const first = (Math.floor(now / MINUTE) - minutes + 1) * MINUTE;
  const totals: DeliveryMinute[] = Array.from({ length: minutes }, (_, i) => ({
    minute: first + i * MINUTE,
    delivered: 0,
    failed: 0,
  }));
  await Promise.all(
    lanes.map((lane) =>
      withLaneQueue(connection, prefix, lane, async (queue) => {
        // The current minute is not in `data` yet, so `minutes` points reach back far enough.
        const [completed, failed] = await Promise.all([
          queue.getMetrics('completed', 0, minutes),
          queue.getMetrics('failed', 0, minutes),
        ]);
        const delivered = perMinute(completed, minutes, now);
        const failedPerMinute = perMinute(failed, minutes, now);
        for (const [i, total] of totals.entries()) {
          total.delivered += delivered[i] ?? 0;
          total.failed += failedPerMinute[i] ?? 0;
        }
      }),
    ),
  );
  return totals;
}
