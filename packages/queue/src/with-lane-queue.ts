import { Queue, type Job } from 'bullmq';
import type { CommitJobData } from './commit-job.ts';
import { laneQueueName } from './lane-queue-name.ts';
import type { RedisConnection } from './redis-connection.ts';
import { TolerantJob } from './tolerant-job.ts';

/**
 * BullMQ's events stream of a lane: every job adds three or four events, which nothing of ours
 * reads (Bull Board and the dashboard read the jobs and the metrics), and BullMQ keeps 10,000 per
 * queue by default, about 1.5 MB per lane. A short tail is left for debugging.
 */
const EVENTS_KEPT = 1000;

/** A lane's BullMQ queue, whose jobs are read as `TolerantJob`s: one with broken data breaks no read. */
class LaneQueueObject extends Queue<CommitJobData> {
  protected override get Job(): typeof Job {
    return TolerantJob;
  }
}

/**
 * A lane's BullMQ queue on a shared connection, with the options every queue object of a lane
 * must agree on (BullMQ writes them into the queue's meta hash when it opens). Its errors reach
 * the caller through rejected promises; the emitter is kept quiet.
 */
export function openLaneQueue(
  connection: RedisConnection,
  prefix: string,
  lane: number,
): Queue<CommitJobData> {
  const queue = new LaneQueueObject(laneQueueName(lane), {
    connection,
    prefix,
    streams: { events: { maxLen: EVENTS_KEPT } },
  });
  queue.on('error', () => undefined);
  return queue;
}

/**
 * Opens a lane's BullMQ queue on a shared connection for one piece of work, and closes it after
 * (the connection stays open: it belongs to the caller). Errors reach the caller through `use`.
 *
 * It does not write the queue's meta hash, which BullMQ otherwise writes whenever a queue object
 * opens: `commitlog status` under a mistyped QUEUE_PREFIX left a hash per lane behind, forever.
 * The meta a lane's jobs need is written by the ingest's queues (`openLaneQueue`), which add them.
 *
 * Nor does it ask Redis its version (an INFO, which BullMQ otherwise sends whenever a queue
 * object opens): readers of every lane open one per lane and per view, and at 4,096 lanes one
 * read of the dashboard's overview sent 12,000 to 16,000 INFO, most of its time. The roles check the
 * version themselves, at start-up (redis-safety.ts, 7.0 or newer); BullMQ, told nothing, takes the
 * oldest it supports and picks the scripts that work on every version where it branches on one:
 * `getJobState` and `isJobInState`, which then copy a whole list (1.26 s at a million waiting).
 * Never ask those of these queues: `commitState` (delivered-marks.ts) tells a commit's state.
 */
export async function withLaneQueue<T>(
  connection: RedisConnection,
  prefix: string,
  lane: number,
  use: (queue: Queue<CommitJobData>) => Promise<T>,
): Promise<T> {
  const queue = new LaneQueueObject(laneQueueName(lane), {
    connection,
    prefix,
    streams: { events: { maxLen: EVENTS_KEPT } },
    skipMetasUpdate: true,
    skipVersionCheck: true,
  });
  queue.on('error', () => undefined);
  try {
    return await use(queue);
  } finally {
    await queue.close();
  }
}

/**
 * Lanes a reader of many lanes reads at once. A read of a lane opens its queue and sends a few
 * commands: a reader of 4,096 lanes that read them all at once sent some 80,000 commands at
 * once and held hundreds of megabytes, and a second such reader beside it (two dashboard tabs) met
 * the connection's command time-out.
 */
export const LANES_READ_AT_ONCE = 32;

/**
 * `read` of `lanes` cut into batches of LANES_READ_AT_ONCE, one batch after the other; the
 * results in the order of the batches.
 */
export async function inLaneBatches<T>(
  lanes: readonly number[],
  read: (batch: readonly number[]) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let first = 0; first < lanes.length; first += LANES_READ_AT_ONCE) {
    results.push(await read(lanes.slice(first, first + LANES_READ_AT_ONCE)));
  }
  return results;
}
