// Row 7: the network between the parts breaks, through the fault proxy: on ingest→Redis,
// worker→Redis and worker→Kafka in turn, 100 ms of latency, a 30 s blackhole (connections
// accepted, nothing answered) and connection resets, each under load. Expected: 0 lost, none
// failed; the ingest answers 503 (never 2xx) while it cannot reach Redis; duplicates are counted.
import { proxyFault, type ProxyFaultAction } from '../fault-actions.ts';
import type { ProxyFault } from '../tcp-proxy.ts';
import { startFaultCluster } from '../fault-cluster.ts';
import { acceptedInside, rowResult, sleep, type RowResult, type Scenario } from '../row-result.ts';

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

interface PathFault {
  id: string;
  path: Path;
  fault: ProxyFault;
  action: ProxyFaultAction;
}

function faultsOf(options: ProxyFaultsOptions): PathFault[] {
  const paths: [Path, string][] = [
    ['ingestRedis', 'a'],
    ['workerRedis', 'b'],
    ['workerKafka', 'c'],
  ];
  return paths.flatMap(([path, letter]) =>
    (
      [
        [{ kind: 'latency', ms: options.latencyMs }, 20_000],
        [{ kind: 'blackhole' }, options.blackholeMs],
        [{ kind: 'reset' }, options.resetMs],
      ] as const
    ).map(([fault, ms], i) => ({
      id: `7${letter}${i + 1}`,
      path,
      fault,
      action: proxyFault(path, fault, ms),
    })),
  );
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
        for (const { id, path, fault, action } of faultsOf(options)) {
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
          if (path === 'ingestRedis' && (fault.kind === 'blackhole' || fault.kind === 'reset')) {
            // The ingest cannot reach Redis at all while the path is blackholed (nothing passes
            // the proxy) or reset (every connection cut at once): a 2xx for a request made and
            // answered in that window cannot be true (rows 4 and 8 check the same). Over the
            // blackhole its Redis commands time out (5 s, the ingest's commandTimeout) into 503s.
            const lying = acceptedInside(tally, [action.window]);
            result.notes.push(`2xx while the ingest could not reach Redis: ${lying}`);
            if (lying > 0) {
              result.problems.push(`${lying} commits answered 2xx while Redis was unreachable`);
            }
            if (fault.kind === 'blackhole' && (tally.refusals.get(503) ?? 0) === 0) {
              result.problems.push('no 503 while ingest→Redis was blackholed');
            }
          }
          results.push(result);
        }
        return results;
      } finally {
        await cluster.stop();
      }
    },
  };
}
