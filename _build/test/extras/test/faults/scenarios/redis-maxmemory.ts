// Row 8: Redis at its `maxmemory` (noeviction): every write is refused. The ingest must answer
// 503, never 2xx for a commit it could not store (a commit already stored may still be answered
// `duplicate: true`, from a read). When memory frees (the limit is lifted) it recovers.
import { createRedisConnection } from '@commitlog/queue';
import { startFaultCluster, type FaultCluster } from '../fault-cluster.ts';
import { acceptedInside, rowResult, sleep, type Scenario } from '../row-result.ts';

async function setMaxmemory(cluster: FaultCluster, bytes: number): Promise<void> {
  const redis = createRedisConnection({
    url: cluster.redis.url,
    role: 'worker',
    onError: () => {},
  });
  try {
    await redis.config('SET', 'maxmemory', String(bytes));
  } finally {
    redis.disconnect();
  }
}

export function redisMaxmemory(options: { perSecond: number; fullMs: number }): Scenario {
  return {
    row: '8',
    title: `Redis at maxmemory for ${options.fullMs / 1000} s`,
    async run({ log }) {
      const cluster = await startFaultCluster({ workers: 2 });
      try {
        const load = cluster.load({ perSecond: options.perSecond });
        await sleep(8_000);
        // 1 byte: below what Redis uses whatever it frees, so no write can pass.
        await setMaxmemory(cluster, 1);
        const full = { from: Date.now(), to: 0 };
        log('Redis at maxmemory');
        await sleep(options.fullMs);
        full.to = Date.now();
        await setMaxmemory(cluster, 0);
        const faultEndedAt = Date.now();
        log('memory freed');
        await sleep(8_000);
        const tally = await load.stop();
        const report = await cluster.check(tally, faultEndedAt);
        const lying = acceptedInside(tally, [full], true);
        const result = rowResult(
          '8',
          `Redis at maxmemory ${options.fullMs / 1000} s`,
          tally,
          report,
          {
            notes: [`new commits answered 2xx while full: ${lying}`],
          },
        );
        if (lying > 0)
          result.problems.push(`${lying} new commits answered 2xx while Redis was full`);
        if ((tally.refusals.get(503) ?? 0) === 0)
          result.problems.push('no 503 while Redis was full');
        const other = [...tally.refusals.keys()].filter((s) => s !== 503);
        if (other.length > 0)
          result.problems.push(`refused with ${other.join(', ')}, not only 503`);
        return [result];
      } finally {
        await cluster.stop();
      }
    },
  };
}
