/**
 * A lane worker process that takes one job and never finishes it, for tests that kill a worker
 * while it holds a job (a real stall). Environment: REDIS_URL, QUEUE_PREFIX, LANE, WORKER_NAME,
 * LOCK_MS. Prints `taken <job id>` once it holds a job and its name as the job's holder is in Redis.
 */
import { createRedisConnection, laneQueueName, startLaneWorkers } from '@commitlog/queue';
import { waitFor } from './wait-for.ts';

const env = process.env;
const connection = createRedisConnection({
  url: env.REDIS_URL ?? '',
  role: 'worker',
  onError: () => undefined,
});
const prefix = env.QUEUE_PREFIX ?? '';
const lane = Number(env.LANE);
const name = env.WORKER_NAME ?? '';

/**
 * The lane worker names the holder beside its produce request, without waiting: a process killed
 * at once may leave no name, and a stall report then reads "unknown" when the job is taken again
 * before the report reads it. Tests that kill this worker want a known holder, so wait for it.
 */
async function holderWritten(jobId: string): Promise<void> {
  const key = `${prefix}:${laneQueueName(lane)}:${jobId}`;
  await waitFor(async () => (await connection.hget(key, 'clh')) === name, {
    timeoutMs: 10_000,
    description: `${name}'s name as the holder of ${jobId}`,
  }).catch((error: unknown) => {
    // Thrown, it would only make the lane worker try the job again: say why, and stop.
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}

await startLaneWorkers({
  connection,
  prefix,
  lanes: [lane],
  workerName: name,
  lockDurationMs: Number(env.LOCK_MS),
  dedupWindowMs: 3_600_000,
  handle: async (job) => {
    await holderWritten(job.id);
    process.stdout.write(`taken ${job.id}\n`);
    return new Promise(() => undefined);
  },
});
