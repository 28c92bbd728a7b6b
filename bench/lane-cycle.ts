/**
 * `pnpm bench:lane [handler ms] [followers] [jobs] [runs]`: how fast one busy lane goes through
 * its waiting commits, with no HTTP and no Kafka: what the lane's own Redis round trips between
 * two produce requests cost. Each run stores `jobs` commits of 1 KiB (default 3,000) in one lane
 * of a private Redis (`appendfsync always`, as production runs it), starts one lane worker that
 * hands each job at most `followers` followers (default 4: a lane at a moderate rate, whose
 * backlog is a few commits, not the hundreds a full produce request takes) to a delivery that
 * takes `handler ms` (default 2, a stand-in for Kafka's answer), and times the lane until every
 * commit is delivered. Prints, per run, commits/s and the time each delivery took in all: its
 * completion, its read and the handler.
 *
 * Then the idle lane: 500 commits stored one at a time into a lane whose worker waits for work,
 * each once the one before was delivered and the worker waits again, timed from the store's
 * answer to the start of the commit's delivery: the worker's wake-up, BullMQ's move to active and
 * what the job reads before its produce request, which is what a commit pays at moderate rates.
 */
import {
  createCommitEnqueuer,
  createRedisConnection,
  startLaneWorkers,
  type CommitJobData,
  type LaneWorkers,
  type LaneWorkersOptions,
  type RedisConnection,
} from '@commitlog/queue';
import { startPrivateRedis } from '@commitlog/testkit';
import { kibCommit } from './lib/kib-commit.ts';
import { percentile } from './lib/latency.ts';
import { num, textTable } from './lib/text-table.ts';

const USAGE = 'usage: pnpm bench:lane [handler ms ≥ 0] [followers ≥ 0] [jobs ≥ 1] [runs ≥ 1]';
const [handlerMs = 2, followers = 4, jobs = 3000, runs = 3] = process.argv.slice(2).map(Number);
if (![handlerMs, followers, jobs, runs].every((n) => Number.isInteger(n) && n >= 0)) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
if (jobs < 1 || runs < 1) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const IDLE_COMMITS = 500;
const IDLE_GAP_MS = 3;

function commit(run: number, n: number): CommitJobData {
  return kibCommit(`lane-${run}-${n}`, 0, n);
}

const redis = await startPrivateRedis({ appendfsync: 'always' });
const producer = createRedisConnection({ url: redis.url, role: 'producer', onError: () => {} });
const rows: string[][] = [];
let idleRow: string[] | undefined;
try {
  for (let run = 1; run <= runs; run++) {
    const prefix = `lane-cycle-${run}`;
    const enqueuer = createCommitEnqueuer({
      connection: producer,
      prefix,
      maxLaneBacklog: jobs,
      lanes: 1,
    });
    for (let n = 0; n < jobs; n += 100) {
      const batch = Array.from({ length: Math.min(100, jobs - n) }, (_, i) => commit(run, n + i));
      await Promise.all(batch.map((c) => enqueuer.enqueue(c)));
    }
    await enqueuer.close();
    const connection = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
    const delivered = new Set<string>();
    let deliveries = 0;
    let laneErrors = 0;
    let allDelivered!: () => void;
    const done = new Promise<void>((resolve) => (allDelivered = resolve));
    // From the first delivery, so that starting the worker is not counted.
    let started: number | undefined;
    const workers = await startLane(connection, prefix, {
      onError: () => void laneErrors++,
      handle: async (job) => {
        started ??= performance.now();
        if (handlerMs > 0) await sleep(handlerMs);
        deliveries++;
        for (const id of [job.id, ...job.followers.map((f) => f.id)]) delivered.add(id);
        if (delivered.size >= jobs) allDelivered();
        return { kind: 'delivered', followers: job.followers.length };
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      done.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 120_000))),
    ]);
    clearTimeout(timer);
    if (timedOut) throw new Error(`run ${run}: ${delivered.size} of ${jobs} delivered in 120 s`);
    const seconds = (performance.now() - (started ?? 0)) / 1000;
    await workers.close();
    connection.disconnect();
    process.stdout.write(
      `run ${run}: ${jobs} commits in ${deliveries} deliveries, ${laneErrors} lane errors\n`,
    );
    rows.push([
      String(run),
      num(jobs / seconds),
      num((seconds * 1000) / deliveries),
      num(delivered.size / deliveries),
    ]);
  }
  idleRow = await idleLane();
} finally {
  producer.disconnect();
  await redis.stop();
}
process.stdout.write(
  `\n${textTable(['run', 'commits/s', 'ms per delivery', 'commits per delivery'], rows)}\n`,
);
if (idleRow) {
  process.stdout.write(
    `\nidle lane, from the store's answer to the delivery's start (${IDLE_COMMITS} commits):\n` +
      `${textTable(['p50 ms', 'p90 ms', 'p99 ms', 'mean ms'], [idleRow])}\n`,
  );
}

/** Times `IDLE_COMMITS` commits that each find their lane idle (see the top). */
async function idleLane(): Promise<string[]> {
  const prefix = 'lane-cycle-idle';
  const enqueuer = createCommitEnqueuer({
    connection: producer,
    prefix,
    maxLaneBacklog: 10,
    lanes: 1,
  });
  const connection = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
  let started: (() => void) | undefined;
  const workers = await startLane(connection, prefix, {
    handle: () => {
      started?.();
      return Promise.resolve({ kind: 'delivered' });
    },
  });
  const times: number[] = [];
  try {
    for (let n = 0; n < IDLE_COMMITS; n++) {
      const delivering = new Promise<void>((resolve) => (started = resolve));
      await enqueuer.enqueue(commit(0, n));
      const stored = performance.now();
      await delivering;
      times.push(performance.now() - stored);
      // Time for the completion to run and the worker to wait for its lane again.
      await sleep(IDLE_GAP_MS);
    }
  } finally {
    await workers.close();
    await enqueuer.close();
    connection.disconnect();
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => num(percentile(times, p));
  return [at(50), at(90), at(99), num(times.reduce((a, b) => a + b, 0) / times.length)];
}

/** One lane worker on lane 0 of `prefix`, handing at most `followers` followers. */
function startLane(
  connection: RedisConnection,
  prefix: string,
  options: Pick<LaneWorkersOptions, 'handle' | 'onError'>,
): Promise<LaneWorkers> {
  return startLaneWorkers({
    connection,
    prefix,
    lanes: [0],
    workerName: 'bench-lane',
    lockDurationMs: 30_000,
    dedupWindowMs: 60_000,
    followers: { maxJobs: followers, maxBytes: 1024 * 1024 },
    ...options,
  });
}
