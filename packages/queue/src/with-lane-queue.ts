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
  });
  queue.on('error', () => undefined);
  try {
    return await use(queue);
  } finally {
    await queue.close();
  }
}
