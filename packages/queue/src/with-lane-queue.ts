import { Queue } from 'bullmq';
import type { CommitJobData } from './commit-job.ts';
import { laneQueueName } from './lane-queue-name.ts';
import type { RedisConnection } from './redis-connection.ts';

/**
 * Opens a lane's BullMQ queue on a shared connection for one piece of work, and closes it after
 * (the connection stays open: it belongs to the caller). Errors reach the caller through `use`.
 */
export async function withLaneQueue<T>(
  connection: RedisConnection,
  prefix: string,
  lane: number,
  use: (queue: Queue<CommitJobData>) => Promise<T>,
): Promise<T> {
  const queue = new Queue<CommitJobData>(laneQueueName(lane), { connection, prefix });
  queue.on('error', () => undefined);
  try {
    return await use(queue);
  } finally {
    await queue.close();
  }
}
