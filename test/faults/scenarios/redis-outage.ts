// Row 4: Redis goes away under load, cleanly (SIGTERM: it flushes its AOF) and by `kill -9`,
// with `appendfsync always` and `everysec`, and comes back on the same port and AOF. While it is
// down the ingest must answer 503, never 2xx. With `always` nothing accepted may be lost; with
// `everysec` Redis may lose its last second of writes, and the row reports what was lost.
import { createRedisConnection } from '@commitlog/queue';
import { startFaultCluster, type FaultCluster } from '../fault-cluster.ts';
import { acceptedInside, rowResult, sleep, type RowResult, type Scenario } from '../row-result.ts';

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
  const result = rowResult(phase.row, phase.fault, tally, report, {
    allowLoss: phase.fsync === 'everysec',
    notes: [`2xx while down: ${lying}`],
  });
  if (lying > 0) result.problems.push(`${lying} commits answered 2xx while Redis was down`);
  if (refused503 === 0) result.problems.push('no 503 while Redis was down');
  const other = [...tally.refusals.keys()].filter((status) => status !== 503);
  if (other.length > 0) result.problems.push(`refused with ${other.join(', ')}, not only 503`);
  if (phase.fsync === 'everysec') {
    result.notes.push(`lost with everysec: ${report.lost.length} (allowed: up to 1 s of writes)`);
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
