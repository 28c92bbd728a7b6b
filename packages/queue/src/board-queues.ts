import { Queue } from 'bullmq';
import type { CommitJobData } from './commit-job.ts';
import { laneQueueName } from './lane-queue-name.ts';
import type { RedisConnection } from './redis-connection.ts';

/** A lane's BullMQ queue, for a viewer such as Bull Board that needs the queue object itself. */
export type LaneQueue = Queue<CommitJobData>;

export interface BoardQueues {
  queues: { lane: number; queue: LaneQueue }[];
  /** Closes the queues; the connection stays open (it belongs to the caller). */
  close(): Promise<void>;
}

/**
 * Opens every lane queue on one shared connection and keeps them open, for a board that reads
 * them on every refresh. Queue errors surface through the board's requests, not as events.
 */
export function openBoardQueues(
  connection: RedisConnection,
  prefix: string,
  laneCount: number,
): BoardQueues {
  const queues = Array.from({ length: laneCount }, (_, lane) => {
    const queue = new Queue<CommitJobData>(laneQueueName(lane), { connection, prefix });
    queue.on('error', () => undefined);
    return { lane, queue };
  });
  return {
    queues,
    async close() {
      await Promise.all(queues.map(({ queue }) => queue.close()));
    },
  };
}

/** Where a job of a lane is now: `failed`, `completed`, `waiting`, `active`, … or `unknown`. */
export async function laneJobState(
  boardQueues: BoardQueues,
  lane: number,
  jobId: string,
): Promise<string> {
  const entry = boardQueues.queues.find((q) => q.lane === lane);
  return entry ? entry.queue.getJobState(jobId) : 'unknown';
}
