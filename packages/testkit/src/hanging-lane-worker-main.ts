/**
 * A lane worker process that takes one job and never finishes it, for tests that kill a worker
 * while it holds a job (a real stall). Environment: REDIS_URL, QUEUE_PREFIX, LANE, WORKER_NAME,
 * LOCK_MS. Prints `taken <job id>` once it holds a job.
 */
import { createRedisConnection, startLaneWorkers } from '@commitlog/queue';

const env = process.env;
const connection = createRedisConnection({
  url: env.REDIS_URL ?? '',
  role: 'worker',
  onError: () => undefined,
});
await startLaneWorkers({
  connection,
  prefix: env.QUEUE_PREFIX ?? '',
  lanes: [Number(env.LANE)],
  workerName: env.WORKER_NAME ?? '',
  lockDurationMs: Number(env.LOCK_MS),
  dedupWindowMs: 3_600_000,
  handle: (job) => {
    process.stdout.write(`taken ${job.id}\n`);
    return new Promise(() => undefined);
  },
});
