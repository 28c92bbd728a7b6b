// Row 9: 2× overload for 2 minutes. Delivery is slowed to a known capacity (one worker, 100 ms
// each way to Kafka through the fault proxy, one commit per lane per produce) and the load is
// about twice what it delivered while slowed. Lane fetching is off here (LANE_BATCH_MAX=1): with
// it, a slowed lane takes its whole backlog in each round trip, so its capacity grows with the
// load and no fixed rate is an overload (32/s was delivered as offered). Expected:
// back-pressure (503 once the lanes hold MAX_LANE_BACKLOG), memory bounded in every process,
// 0 lost, none failed; the backlog drains once the overload ends.
import { startFaultCluster } from '../fault-cluster.ts';
import { watchMemory } from '../process-memory.ts';
import { rowResult, sleep, type Scenario } from '../row-result.ts';

const MB = 1024 * 1024;
/** Far above what any process needs; a leak under overload would cross it. */
const MEMORY_BOUND = 1024 * MB;

export function overload(options: {
  perSecond: number;
  overloadMs: number;
  laneBacklog: number;
}): Scenario {
  return {
    row: '9',
    title: `overload ${options.overloadMs / 60_000} min`,
    async run({ log }) {
      const cluster = await startFaultCluster({
        workers: 1,
        proxies: { workerKafka: true },
        env: { MAX_LANE_BACKLOG: String(options.laneBacklog), LANE_BATCH_MAX: '1' },
      });
      try {
        const { system, redis } = cluster;
        const memory = watchMemory(() => {
          const pids = new Map<string, number>([['ingest', system.ingest.pid]]);
          system.workers.forEach((w, i) => pids.set(`worker ${i + 1}`, w.pid));
          const redisPid = redis.pid();
          if (redisPid !== undefined) pids.set('redis', redisPid);
          pids.set('load (test process)', process.pid);
          return pids;
        });
        cluster.proxies.workerKafka!.setFault({ kind: 'latency', ms: 100 });
        const load = cluster.load({ perSecond: options.perSecond });
        log(`load ${options.perSecond}/s against a slowed delivery`);
        await sleep(options.overloadMs);
        const pending = load.pending();
        cluster.proxies.workerKafka!.setFault({ kind: 'none' });
        const faultEndedAt = Date.now();
        log(`overload over; ${pending} commits waiting on the client side`);
        const tally = await load.stop(300_000);
        const report = await cluster.check(tally, faultEndedAt, { drainTimeoutMs: 300_000 });
        const peaks = memory.stop();
        const overloadDelivered = report.firstDeliveries.filter((t) => t < faultEndedAt).length;
        const rate = overloadDelivered / (options.overloadMs / 1000);
        const result = rowResult(
          '9',
          `2× overload ${options.overloadMs / 60_000} min`,
          tally,
          report,
          {
            notes: [
              `delivered while slowed: ${rate.toFixed(0)}/s against ${options.perSecond}/s offered`,
              `client-side backlog at the end: ${pending}`,
              `peak RSS: ${[...peaks].map(([n, b]) => `${n} ${Math.round(b / MB)} MB`).join(', ')}`,
            ],
          },
        );
        if ((tally.refusals.get(503) ?? 0) === 0) result.problems.push('no back-pressure (503)');
        for (const [name, bytes] of peaks) {
          if (name !== 'load (test process)' && bytes > MEMORY_BOUND) {
            result.problems.push(`${name} peaked at ${Math.round(bytes / MB)} MB`);
          }
        }
        return [result];
      } finally {
        await cluster.stop();
      }
    },
  };
}
