import type { DeliveryStart, LaneHead } from './lane-followers.ts';

/**
 * The prefetches of a worker's lanes: what a lane held for the job BullMQ was about to hand this
 * worker, read right before the command that hands it over, on the same connection. Two commands
 * do that: a completion, whose script reads for the job its BullMQ completion hands on
 * (`RECORD_DELIVERED` in delivered-marks.ts), and a move to active, right before which the lane
 * worker sends `readLaneHead` (lane-bullmq-worker.ts). A busy lane's next job, and a job that
 * finds its lane idle, then start without a read of their own.
 *
 * A prefetch is kept until that lane's next job starts, and gone then whichever job it is. A job
 * takes it only when it is that job: the id read, and the lock token of the command that handed
 * it over (the completed job's, which BullMQ hands on to the job its completion fetched, or the
 * one the move to active was given). So a job that reached the worker any other way (a
 * completion fetched none and the lane went idle or was paused, another worker took the job
 * meanwhile, BullMQ took another) is read as before: its prefetch may be stale by then. What a
 * read says of a job still at the consuming end of the wait list when it is taken holds then:
 * its followers change only once it is taken (completions take from that end), and whether its
 * delivery was recorded only if it was taken, recorded and put back in between, which takes its
 * lock expiring (a stall). A read that ran after the move (lane-bullmq-worker.ts) names the job
 * after the one taken, and is not used. A job that comes back as a retry takes it like any other.
 */
export interface LanePrefetches {
  /** What `token`'s command will hand over in `lane`: `next` answers it. */
  expect(lane: number, token: string, next: Promise<LaneHead | undefined>): void;
  /**
   * Takes the lane's prefetch: what the lane holds for job `jobId`, handed on with `token`, or
   * undefined when there is none for it (then read it). A lane's prefetch is gone once asked.
   */
  take(lane: number, token: string | undefined, jobId: string): Promise<DeliveryStart | undefined>;
}

export function createLanePrefetches(): LanePrefetches {
  const byLane = new Map<number, { token: string; next: Promise<LaneHead | undefined> }>();
  return {
    expect(lane, token, next) {
      byLane.set(lane, { token, next: next.catch(() => undefined) });
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
