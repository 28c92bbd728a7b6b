/**
 * `pnpm bench:enqueue [rates] [seconds]`: what the store alone costs. The ingest's enqueuer
 * (one script per lane: look-up and add, gathered per event-loop turn) stores commits of 1 KiB at fixed open-loop
 * rates (default 950,1900/s for 10 s each) in a private Redis, once with `appendfsync always`
 * and once with `everysec`, with no HTTP, worker or Kafka running. Latency counts from each
 * commit's intended time (so it includes the driver's up to ~1 ms of lateness) to its store.
 * Beside it, Redis's worst single event (lib/redis-stalls.ts): the tail a disk's fsync puts
 * under every design that answers only once Redis has the commit.
 */
import { createCommitEnqueuer, createRedisConnection, type CommitJobData } from '@commitlog/queue';
import { startPrivateRedis } from '@commitlog/testkit';
import { openLoop } from './lib/load-drivers.ts';
import { summarize } from './lib/latency.ts';
import {
  describeWorstStall,
  readRedisStalls,
  resetRedisStalls,
  watchRedisStalls,
} from './lib/redis-stalls.ts';
import { rateArgsOrExit } from './lib/rate-args.ts';
import { kibCommit } from './lib/kib-commit.ts';
import { num, textTable } from './lib/text-table.ts';

const { rates, seconds } = rateArgsOrExit(
  'usage: pnpm bench:enqueue [rates, e.g. 950,1900] [seconds per rate]',
  { rates: '950,1900', seconds: '10' },
);

const LANES = 16;

function commit(n: number): CommitJobData {
  return kibCommit(`enqueue-${n}`, n % LANES, n);
}

const rows: string[][] = [];
let next = 0;
for (const appendfsync of ['always', 'everysec'] as const) {
  const redis = await startPrivateRedis({ appendfsync });
  const connection = createRedisConnection({ url: redis.url, role: 'producer', onError: () => {} });
  const enqueuer = createCommitEnqueuer({
    connection,
    prefix: 'bench',
    maxLaneBacklog: 10_000_000,
    lanes: LANES,
  });
  try {
    // Warm-up (the enqueuer waits for the connection): the lane queues, the scripts and the JIT.
    await Promise.all(Array.from({ length: 2000 }, () => enqueuer.enqueue(commit(next++))));
    await watchRedisStalls(connection);
    for (const rate of rates) {
      process.stdout.write(`appendfsync ${appendfsync}: ${rate}/s for ${seconds} s\n`);
      await resetRedisStalls(connection);
      const sent = await openLoop({
        rate,
        durationMs: seconds * 1000,
        firstN: next,
        send: async (n) => {
          await enqueuer.enqueue(commit(n));
          return { status: 202, id: undefined };
        },
      });
      next += sent.length;
      const latency = summarize(sent.map((s) => s.answeredAt - s.intendedAt));
      const stall = describeWorstStall(await readRedisStalls(connection));
      rows.push([
        appendfsync,
        String(rate),
        num(latency.p50),
        num(latency.p99),
        num(latency.p999),
        num(latency.max),
        stall,
      ]);
    }
  } finally {
    await enqueuer.close();
    connection.disconnect();
    await redis.stop();
  }
}
process.stdout.write(
  `\n${textTable(['appendfsync', 'rate/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'Redis worst stall'], rows)}\n`,
);
