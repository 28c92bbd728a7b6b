// Row 7: the network between the parts breaks, through the fault proxy: on ingest→Redis,
// worker→Redis and worker→Kafka in turn, 100 ms of latency, a 30 s blackhole (connections
// accepted, nothing answered) and connection resets, each under load. Expected: 0 lost, none
// failed; the ingest answers 503 (never 2xx) while it cannot reach Redis; duplicates are counted.
import { proxyFault, type FaultAction } from '../fault-actions.ts';
import { startFaultCluster } from '../fault-cluster.ts';
import { rowResult, sleep, type RowResult, type Scenario } from '../row-result.ts';

type Path = 'ingestRedis' | 'workerRedis' | 'workerKafka';

export interface ProxyFaultsOptions {
  perSecond: number;
  latencyMs: number;
  blackholeMs: number;
  /** How long new connections are reset after the open ones were. */
  resetMs: number;
  /** Load before and after each fault, ms. */
  aroundMs: number;
}

function faultsOf(options: ProxyFaultsOptions): { id: string; action: FaultAction }[] {
  const paths: [Path, string][] = [
    ['ingestRedis', 'a'],
    ['workerRedis', 'b'],
    ['workerKafka', 'c'],
  ];
  return paths.flatMap(([path, letter]) => [
    {
      id: `7${letter}1`,
      action: proxyFault(path, { kind: 'latency', ms: options.latencyMs }, 20_000),
    },
    { id: `7${letter}2`, action: proxyFault(path, { kind: 'blackhole' }, options.blackholeMs) },
    { id: `7${letter}3`, action: proxyFault(path, { kind: 'reset' }, options.resetMs) },
  ]);
}

export function proxyFaults(options: ProxyFaultsOptions): Scenario {
  return {
    row: '7',
    title: 'proxy faults: latency, blackhole, resets on ingest→Redis, worker→Redis, worker→Kafka',
    async run({ log }) {
      const cluster = await startFaultCluster({
        workers: 2,
        proxies: { ingestRedis: true, workerRedis: true, workerKafka: true },
      });
      try {
        const results: RowResult[] = [];
        for (const { id, action } of faultsOf(options)) {
          const bucket = await cluster.phase(id);
          const load = cluster.load({ perSecond: options.perSecond, bucket });
          await sleep(options.aroundMs);
          await action.run(cluster, log);
          const faultEndedAt = Date.now();
          await sleep(options.aroundMs);
          const tally = await load.stop();
          const report = await cluster.check(tally, faultEndedAt, { bucket });
          const result = rowResult(id, action.name, tally, report);
          const other = [...tally.refusals.keys()].filter((s) => s !== 0 && s !== 503);
          if (other.length > 0) result.problems.push(`refused with ${other.join(', ')}`);
          results.push(result);
        }
        return results;
      } finally {
        await cluster.stop();
      }
    },
  };
}
