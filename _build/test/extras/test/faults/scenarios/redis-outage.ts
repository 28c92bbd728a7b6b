// Row 4: Redis goes away under load, cleanly (SIGTERM: it flushes its AOF) and by `kill -9`,
// with `appendfsync always` and `everysec`, and comes back on the same port and AOF. While it is
// down the ingest must answer 503, never 2xx. With `always` nothing accepted may be lost; with
// `everysec` a `kill -9` may lose the writes Redis acknowledged in its last ~2 s (see
// EVERYSEC_KILL_LOSS_MS): the row reports them, and any other lost commit fails it.
import { createRedisConnection } from '@commitlog/queue';
import { startFaultCluster, type FaultCluster } from '../fault-cluster.ts';
import {
  acceptedInside,
  rowResult,
  sleep,
  type LossWindow,
  type RowResult,
  type Scenario,
} from '../row-result.ts';

/**
 * How long before a `kill -9` a Redis with `appendfsync everysec` may have answered writes that
 * its restart then lacks. Redis appends each write to its AOF buffer and, in `beforeSleep`,
 * write(2)s that buffer before it sends the replies; a write(2)n AOF is in the page cache, which
 * a `kill -9` of the process does not touch (the fsync once a second matters only when the
 * machine goes down, which this row does not do). The exception is in `flushAppendOnlyFile`
 * (aof.c): with everysec, while the background fsync is still running, Redis postpones the
 * write(2) and sends the replies all the same, for at most 2000 ms (`mstime -
 * aof_flush_postponed_start < 2000`), then writes anyway ("Asynchronous AOF fsync is taking too
 * long"). So an acknowledged write a `kill -9` loses was answered less than 2 s before the kill.
 * `no-appendfsync-on-rewrite` (default `no`, not set by startPrivateRedis, which also sets
 * `save ''`) only skips fsyncs during a rewrite, never the write(2), so it does not widen this.
 * The margin, 500 ms: the 2 s are measured on Redis' cached clock and the late write comes at the
 * next turn of its event loop (hz 10: at most 100 ms when idle), on a loaded 2-core machine where
 * Redis may wait for a core. A commit's answer is timed by the load after the ingest answered,
 * later than Redis' reply, which only moves it further into the window.
 */
export const EVERYSEC_KILL_LOSS_MS = 2_000 + 500;

/**
 * The commits an everysec Redis killed at `killAt` may lose: answered from EVERYSEC_KILL_LOSS_MS
 * before the kill until it was started again at `restartAt` (a reply the dying Redis sent may
 * reach the load after the kill). A commit answered earlier was written long before; one
 * answered later was stored by the new Redis, which is not killed: losing either fails the row.
 */
export function everysecLossWindow(killAt: number, restartAt: number): LossWindow {
  return {
    from: killAt - EVERYSEC_KILL_LOSS_MS,
    to: restartAt,
    why: `answered within ${EVERYSEC_KILL_LOSS_MS / 1000} s before the kill -9`,
  };
}

export interface RedisOutageOptions {
  perSecond: number;
  /** How long Redis stays down, ms. */
  downMs: number;
  /** Load before the fault and after Redis is back, ms. */
  aroundMs: number;
}

interface Phase {
  row: string;
  fault: string;
  fsync: 'always' | 'everysec';
  how: 'stop' | 'kill';
}

const PHASES: Phase[] = [
  { row: '4a', fault: 'Redis restarted cleanly (AOF always)', fsync: 'always', how: 'stop' },
  { row: '4b', fault: 'Redis kill -9 (AOF always)', fsync: 'always', how: 'kill' },
  { row: '4c', fault: 'Redis kill -9 (AOF everysec)', fsync: 'everysec', how: 'kill' },
];

async function setFsync(cluster: FaultCluster, policy: Phase['fsync']): Promise<void> {
  const redis = createRedisConnection({
    url: cluster.redis.url,
    role: 'worker',
    onError: () => {},
  });
  try {
    await redis.config('SET', 'appendfsync', policy);
  } finally {
    redis.disconnect();
  }
}

async function runPhase(
  cluster: FaultCluster,
  phase: Phase,
  options: RedisOutageOptions,
  log: (line: string) => void,
): Promise<RowResult> {
  await setFsync(cluster, phase.fsync);
  const bucket = await cluster.phase(phase.row);
  const load = cluster.load({ perSecond: options.perSecond, bucket });
  await sleep(options.aroundMs);
  const killAt = Date.now();
  await (phase.how === 'stop' ? cluster.redis.stop() : cluster.redis.kill());
  const down = { from: Date.now(), to: 0 };
  log(`${phase.row}: Redis down (${phase.how})`);
  await sleep(options.downMs);
  down.to = Date.now();
  await cluster.redis.start();
  const faultEndedAt = Date.now();
  log(`${phase.row}: Redis back`);
  await sleep(options.aroundMs);
  const tally = await load.stop();
  const report = await cluster.check(tally, faultEndedAt, { bucket });
  const lying = acceptedInside(tally, [down]);
  const refused503 = tally.refusals.get(503) ?? 0;
  const lossWindow = phase.fsync === 'everysec' ? everysecLossWindow(killAt, down.to) : undefined;
  const result = rowResult(phase.row, phase.fault, tally, report, {
    ...(lossWindow ? { lossWindow } : {}),
    notes: [`2xx while down: ${lying}`],
  });
  if (lying > 0) result.problems.push(`${lying} commits answered 2xx while Redis was down`);
  if (refused503 === 0) result.problems.push('no 503 while Redis was down');
  const other = [...tally.refusals.keys()].filter((status) => status !== 503);
  if (other.length > 0) result.problems.push(`refused with ${other.join(', ')}, not only 503`);
  if (lossWindow) {
    result.notes.push(
      `lost with everysec: ${report.lost.length}, of which ${result.lostAllowed ?? 0} ${lossWindow.why} (allowed)`,
    );
  }
  return result;
}

export function redisOutage(options: RedisOutageOptions): Scenario {
  return {
    row: '4',
    title: 'Redis restarted cleanly and killed -9 (AOF always, everysec)',
    async run({ log }) {
      const cluster = await startFaultCluster({ workers: 2, redis: { appendfsync: 'always' } });
      try {
        const results: RowResult[] = [];
        for (const phase of PHASES) results.push(await runPhase(cluster, phase, options, log));
        return results;
      } finally {
        await cluster.stop();
      }
    },
  };
}
