import type { RecordedDelivery } from './delivered-marks.ts';
import type { DeliveryStart } from './lane-followers.ts';

/**
 * The prefetches of a worker's lanes: what a completion read for the job BullMQ hands this
 * worker next (see `RECORD_DELIVERED` in delivered-marks.ts), kept until that lane's next job
 * starts, and gone then whichever job it is. A job takes the prefetch only when it is that job:
 * the id the completion read, and the lock token of the completed job, which BullMQ hands on to
 * the job its completion fetched. A job the main loop fetches gets a token of its own; one that
 * BullMQ hands on after a failure keeps the token, but the slot was emptied by the job before it
 * (and its id differs). So a job that reached the worker any other way (the completion fetched
 * none and the lane went idle or was paused, another worker took the job meanwhile, BullMQ
 * fetched another) is read as before: its prefetch may be stale by then.
 */
export interface LanePrefetches {
  /** The completion of `token`'s job in `lane` sent its prefetch: `recording` answers it. */
  expect(lane: number, token: string, recording: Promise<RecordedDelivery>): void;
  /**
   * Takes the lane's prefetch: what the lane holds for job `jobId`, handed on with `token`, or
   * undefined when there is none for it (then read it). A lane's prefetch is gone once asked.
   */
  take(lane: number, token: string | undefined, jobId: string): Promise<DeliveryStart | undefined>;
}

export function createLanePrefetches(): LanePrefetches {
  const byLane = new Map<number, { token: string; next: Promise<RecordedDelivery['next']> }>();
  return {
    expect(lane, token, recording) {
      byLane.set(lane, {
        token,
        next: recording.then(
          (r) => r.next,
          () => undefined,
        ),
      });
    },
    async take(lane, token, jobId) {
      const prefetch = byLane.get(lane);
      byLane.delete(lane);
      if (prefetch === undefined || token === undefined || prefetch.token !== token) {
        return undefined;
      }
      const next = await prefetch.next;
      return next?.jobId === jobId ? next.start : undefined;
    },
  };
}
