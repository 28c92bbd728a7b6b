/**
 * B2, Redis/BullMQ alone: how fast this Redis takes and hands out jobs of our size, with no HTTP
 * and no Kafka. `add` stores jobs with `addBulk` (batches of 100, 4 in flight) for a while and
 * prints how many; `work` runs a no-op worker at concurrency 100 and prints how many it finished.
 * Usage: node bench/baselines/bullmq-alone.ts add <durationMs> <jobDataFile>|work
 *        (env REDIS_URL, BENCH_PREFIX)
 */
import { Queue, Worker } from 'bullmq';
import { readFileSync } from 'node:fs';
import { report } from './accept-commit.ts';

const [role, durationArg, dataFile] = process.argv.slice(2);
const prefix = process.env.BENCH_PREFIX ?? 'bench-b2';
const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const redis = { host: redisUrl.hostname, port: Number(redisUrl.port) };

if (role === 'add') {
  // Job data as the ingest stores it (commit, id, lane, receivedAt), made by the bench.
  const samples = JSON.parse(readFileSync(dataFile ?? '', 'utf8')) as object[];
  const queue = new Queue('jobs', { connection: redis, prefix });
  await queue.waitUntilReady();
  report({ ready: true });
  const started = performance.now();
  const end = started + Number(durationArg);
  let added = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (performance.now() < end) {
        const batch = Array.from({ length: 100 }, () => {
          const i = n++;
          return { name: 'commit', data: samples[i % samples.length]!, opts: { jobId: `j${i}` } };
        });
        await queue.addBulk(batch);
        added += batch.length;
      }
    }),
  );
  report({ added, seconds: (performance.now() - started) / 1000 });
  await queue.close();
  process.exit(0);
} else {
  let processed = 0;
  let lastAt = Date.now();
  const worker = new Worker(
    'jobs',
    // eslint-disable-next-line @typescript-eslint/require-await -- a no-op processor
    async () => undefined,
    { connection: { ...redis, maxRetriesPerRequest: null }, prefix, concurrency: 100 },
  );
  // Counted once BullMQ has completed the job, not when it starts it; with when that was, so the
  // bench's rate does not include the time until the next report reaches it.
  worker.on('completed', () => {
    processed++;
    lastAt = Date.now();
  });
  await worker.waitUntilReady();
  report({ ready: true });
  setInterval(() => report({ processed, at: lastAt }), 250);
  process.on('SIGTERM', () => {
    void worker.close().finally(() => process.exit(0));
  });
}
