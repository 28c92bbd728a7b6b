import type { Queue } from 'bullmq';
import { commitState } from './delivered-marks.ts';
import type { CommitJobData } from './commit-job.ts';
import { openLaneQueue } from './with-lane-queue.ts';
import type { RedisConnection } from './redis-connection.ts';

/** A lane's BullMQ queue, for a viewer such as Bull Board that needs the queue object itself. */
export type LaneQueue = Queue<CommitJobData>;

export interface BoardQueues {
  queues: { lane: number; queue: LaneQueue }[];
  /** The shared connection the queues use. */
  connection: RedisConnection;
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
    const queue = openLaneQueue(connection, prefix, lane);
    return { lane, queue };
  });
  return {
    queues,
    connection,
    async close() {
      await Promise.all(queues.map(({ queue }) => queue.close()));
    },
  };
}

/** Where a job of a lane is now: `failed`, `delivered`, `waiting`, `active`, … or `unknown`. */
export async function laneJobState(
  boardQueues: BoardQueues,
  lane: number,
  jobId: string,
): Promise<string> {
  const entry = boardQueues.queues.find((q) => q.lane === lane);
  return entry ? commitState(boardQueues.connection, entry.queue, jobId) : 'unknown';
}
