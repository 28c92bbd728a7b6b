// Row 13: one worker cut off from Redis and from Kafka at once (a blackhole on both of its own
// paths, after 3 s of a slow Kafka) for longer than its lock, then reconnected, while another
// worker goes on. Its locks lapse, the other worker delivers its jobs and the lanes' newer
// commits; what the cut-off worker still held must not land after them once its network heals
// (the settle-by time of each delivery: lockedUntil). Expected: 0 lost, none failed, no stale
// copy on any key.
import { startFaultCluster } from '../fault-cluster.ts';
import { rowResult, sleep, type Scenario } from '../row-result.ts';

export function loneWorkerCutOff(options: {
  perSecond: number;
  /** Distinct keys: few, so that every key has commits in flight when the cut comes. */
  keys: number;
  cutMs: number;
  aroundMs: number;
}): Scenario {
  const title = `one worker cut off from Redis and Kafka ${options.cutMs / 1000} s (lock 4 s)`;
  return {
    row: '13',
    title,
    async run({ log }) {
      const cluster = await startFaultCluster({ workers: 1, loneWorker: true });
      try {
        const { loneRedis, loneKafka } = cluster.proxies;
        if (!loneRedis || !loneKafka) throw new Error('the cluster has no lone worker');
        const load = cluster.load({ perSecond: options.perSecond, keys: options.keys });
        await sleep(options.aroundMs);
        // A slow Kafka first, so that the worker has records waiting behind its request in flight
        // when the cut comes, as a busy worker would.
        loneKafka.setFault({ kind: 'latency', ms: 300 });
        await sleep(3_000);
        loneRedis.setFault({ kind: 'blackhole' });
        loneKafka.setFault({ kind: 'blackhole' });
        log('lone worker: Redis and Kafka blackholed');
        await sleep(options.cutMs);
        loneRedis.setFault({ kind: 'none' });
        loneKafka.setFault({ kind: 'none' });
        log('lone worker: reconnected');
        const faultEndedAt = Date.now();
        await sleep(options.aroundMs);
        const tally = await load.stop();
        const report = await cluster.check(tally, faultEndedAt);
        const result = rowResult('13', title, tally, report, {
          notes: [`stale copies: ${report.staleCopies.length}`],
        });
        return [result];
      } finally {
        await cluster.stop();
      }
    },
  };
}
