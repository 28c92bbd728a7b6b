import type { Queue } from 'bullmq';
import type { RedisConnection } from './redis-connection.ts';

/**
 * An id of a lane's failed set whose job (its hash) is gone: a hand edit of Redis, or a restore
 * that lost the hash. It is counted as failed (`status`, the failed gauge, its alert) but holds
 * nothing to re-drive; `discardUnreadable` removes it.
 */
export interface JobGoneId {
  id: string;
  /** Epoch ms when it failed: its score in the failed set. */
  failedAt: number;
}

/**
 * Which of `ids`, whose hashes told no failure, are still in the lane's failed set with no hash.
 * Both read in one MULTI: a job re-driven (its hash kept, out of the failed set) or removed (both
 * gone) between two reads would pass for one whose job is gone.
 */
export async function jobGoneIds(
  connection: RedisConnection,
  queue: Queue,
  ids: readonly string[],
): Promise<JobGoneId[]> {
  const multi = connection.multi();
  for (const id of ids) multi.zscore(queue.toKey('failed'), id).exists(queue.toKey(id));
  const replies = (await multi.exec()) ?? [];
  return ids.flatMap((id, i): JobGoneId[] => {
    const [scoreError, score] = replies[2 * i] ?? [new Error('incomplete MULTI reply'), null];
    const [existsError, exists] = replies[2 * i + 1] ?? [new Error('incomplete MULTI reply'), 1];
    if (scoreError) throw scoreError;
    if (existsError) throw existsError;
    return score !== null && exists === 0 ? [{ id, failedAt: Number(score) }] : [];
  });
}
