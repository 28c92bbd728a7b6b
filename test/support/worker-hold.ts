// Kills that land mid-delivery: a worker stopped (SIGSTOP) at a moment it holds a job, checked
// to hold it still once stopped, so that a kill -9 then is a death with a job in hand and not
// one between two jobs. Real Redis: the lanes' active lists and each job's holder field.
import { laneQueueName, type RedisConnection } from '@commitlog/queue';
import { hostname } from 'node:os';

/** The worker name a worker process on this machine gives itself (start-worker.ts). */
export const workerName = (pid: number): string => `${hostname()}:${pid}`;

/** The ids of jobs being delivered, in any of `lanes` lanes, whose holder is `name`. */
async function jobsHeldBy(
  redis: RedisConnection,
  prefix: string,
  lanes: number,
  name: string,
): Promise<string[]> {
  const held: string[] = [];
  for (let lane = 0; lane < lanes; lane++) {
    const queue = `${prefix}:${laneQueueName(lane)}`;
    for (const id of await redis.lrange(`${queue}:active`, 0, -1)) {
      if ((await redis.hget(`${queue}:${id}`, 'clh')) === name) held.push(id);
    }
  }
  return held;
}

/**
 * Stops `worker` (SIGSTOP) at a moment it holds a job, within `withinMs`, and leaves it stopped:
 * the caller kills it. True when it was stopped holding one (checked again once stopped, after
 * what it had already sent reached Redis); false when it never did, and it runs on.
 */
export async function stopHoldingAJob(
  redis: RedisConnection,
  prefix: string,
  lanes: number,
  worker: { pid: number; signal(signal: NodeJS.Signals): void },
  withinMs: number,
): Promise<boolean> {
  const name = workerName(worker.pid);
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if ((await jobsHeldBy(redis, prefix, lanes, name)).length === 0) continue;
    worker.signal('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, 50));
    if ((await jobsHeldBy(redis, prefix, lanes, name)).length > 0) return true;
    worker.signal('SIGCONT');
  }
  return false;
}
