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
  // Two round trips whatever the lane count (every lane's active list, then each active job's
  // holder): a slow poll misses the short moments a worker holds a job.
  const queues = Array.from({ length: lanes }, (_, lane) => `${prefix}:${laneQueueName(lane)}`);
  const active = await Promise.all(queues.map((queue) => redis.lrange(`${queue}:active`, 0, -1)));
  const jobs = queues.flatMap((queue, lane) => (active[lane] ?? []).map((id) => ({ queue, id })));
  const holders = await Promise.all(
    jobs.map(({ queue, id }) => redis.hget(`${queue}:${id}`, 'clh')),
  );
  return jobs.filter((_, i) => holders[i] === name).map(({ id }) => id);
}

/**
 * The jobs a stopped worker holds once what it sent before it stopped has reached Redis: read
 * until two readings 100 ms apart agree (a loaded machine may take longer than one interval to
 * carry its last completion across), at most 3 s.
 */
async function settledHolding(
  redis: RedisConnection,
  prefix: string,
  lanes: number,
  name: string,
): Promise<string[]> {
  let held = await jobsHeldBy(redis, prefix, lanes, name);
  for (let reading = 0; reading < 30; reading++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await jobsHeldBy(redis, prefix, lanes, name);
    if (again.join() === held.join()) return again;
    held = again;
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
    if ((await settledHolding(redis, prefix, lanes, name)).length > 0) return true;
    worker.signal('SIGCONT');
  }
  return false;
}
