// Row 13: one worker cut off from Redis and from Kafka at once (a blackhole on both of its own
// paths, after 3 s of a slow Kafka) for longer than its lock, then reconnected, while another
// worker goes on. Its locks lapse, the other worker delivers its jobs and the lanes' newer
// commits; what the cut-off worker still held must not land after them once its network heals
// (the settle-by time of each delivery: lockedUntil). Expected: 0 lost, none failed, no stale
// copy on any key.
import { createRedisConnection, stallRecords } from '@commitlog/queue';
import { deliveredBy } from '../../support/delivery-oracle.ts';
import { workerName } from '../../support/worker-hold.ts';
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
      const redis = createRedisConnection({
        url: cluster.redis.url,
        role: 'worker',
        onError: () => undefined,
      });
      try {
        const { loneRedis, loneKafka } = cluster.proxies;
        if (!loneRedis || !loneKafka) throw new Error('the cluster has no lone worker');
        const lone = cluster.system.workers.at(-1)!;
        const load = cluster.load({ perSecond: options.perSecond, keys: options.keys });
        await sleep(options.aroundMs);
        // The cut must find it at work: a worker that held nothing leaves no stale copy to find.
        const problems: string[] = [];
        const deliveredBefore = await deliveredBy(lone);
        if (deliveredBefore === 0)
          problems.push('the lone worker delivered nothing before the cut');
        // A slow Kafka first, so that the worker has records waiting behind its request in flight
        // when the cut comes, as a busy worker would.
        loneKafka.setFault({ kind: 'latency', ms: 300 });
        await sleep(3_000);
        loneRedis.setFault({ kind: 'blackhole' });
        loneKafka.setFault({ kind: 'blackhole' });
        log('lone worker: Redis and Kafka blackholed');
        // What it sent Kafka while cut off, held by its proxy: the most seen at once (a
        // connection it gives up on takes its bytes with it). Its Redis traffic says nothing
        // here: an idle worker's blocking wait and lane-count check go on while it holds no job;
        // a producer sends only to produce.
        let held = 0;
        for (const until = Date.now() + options.cutMs; Date.now() < until;) {
          held = Math.max(held, loneKafka.stats().heldBytes);
          await sleep(Math.min(500, Math.max(0, until - Date.now())));
        }
        if (held === 0)
          problems.push('the lone worker had no produce request in flight when cut off');
        loneRedis.setFault({ kind: 'none' });
        loneKafka.setFault({ kind: 'none' });
        log('lone worker: reconnected');
        const faultEndedAt = Date.now();
        await sleep(options.aroundMs);
        const tally = await load.stop();
        const report = await cluster.check(tally, faultEndedAt);
        // It held jobs when cut: their locks lapsed and the other worker took them back, each
        // such take a stall on record in the lone worker's name. None means the cut found it
        // holding nothing, and the row tested no stale copy.
        const lonesStalls = (await stallRecords(redis, cluster.system.prefix, 1000)).filter(
          (s) => s.worker === workerName(lone.pid),
        ).length;
        if (lonesStalls === 0)
          problems.push('no job of the lone worker stalled while it was cut off');
        const result = rowResult('13', title, tally, report, {
          notes: [
            `stale copies: ${report.staleCopies.length}`,
            `lone worker: ${deliveredBefore} delivered before the cut, ${held} bytes to Kafka held while cut off, ${lonesStalls} of its jobs stalled`,
          ],
        });
        result.problems.push(...problems);
        return [result];
      } finally {
        redis.disconnect();
        await cluster.stop();
      }
    },
  };
}
