// Row 12: a soak. Load for `minutes` with a random fault from the matrix every minute (every
// path proxied, so the network faults can be picked too). Expected: 0 lost, none failed.
import {
  kafkaDown,
  killIngest,
  killWorker,
  pauseWorker,
  proxyFault,
  redisDown,
  type FaultAction,
} from '../fault-actions.ts';
import { seededRandom } from '@commitlog/testkit';
import { startFaultCluster } from '../fault-cluster.ts';
import { dedupNote, rowResult, sleep, type Scenario } from '../row-result.ts';

const ACTIONS: FaultAction[] = [
  killWorker,
  pauseWorker(10_000),
  killIngest,
  redisDown('stop', 5_000),
  redisDown('kill', 5_000),
  kafkaDown('stop', 20_000),
  kafkaDown('kill', 10_000),
  kafkaDown('pause', 15_000),
  proxyFault('ingestRedis', { kind: 'blackhole' }, 10_000),
  proxyFault('workerRedis', { kind: 'blackhole' }, 10_000),
  proxyFault('workerKafka', { kind: 'blackhole' }, 10_000),
  proxyFault('workerRedis', { kind: 'reset' }, 1_000),
  proxyFault('workerKafka', { kind: 'latency', ms: 100 }, 20_000),
];

export function soak(options: { minutes: number; perSecond: number; seed?: number }): Scenario {
  return {
    row: '12',
    title: `soak: ${options.minutes} min, a random fault every minute`,
    async run({ log }) {
      const cluster = await startFaultCluster({
        workers: 2,
        proxies: { ingestRedis: true, workerRedis: true, workerKafka: true },
      });
      // Given, or drawn and said, so that a soak that found something can be run again as it was.
      const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
      const random = seededRandom(seed);
      log(`seed ${seed} (pnpm faults --soak --seed ${seed} runs these faults again)`);
      try {
        const load = cluster.load({ perSecond: options.perSecond });
        const done: string[] = [];
        let faultEndedAt = Date.now();
        for (let minute = 0; minute < options.minutes; minute++) {
          const started = Date.now();
          const action = ACTIONS[Math.floor(random() * ACTIONS.length)]!;
          log(`minute ${minute + 1}: ${action.name}`);
          await action.run(cluster, log);
          done.push(action.name);
          faultEndedAt = Date.now();
          await sleep(Math.max(0, 60_000 - (Date.now() - started)));
        }
        const tally = await load.stop();
        const report = await cluster.check(tally, faultEndedAt);
        return [
          rowResult('12', `soak ${options.minutes} min`, tally, report, {
            notes: [`seed ${seed}, faults: ${done.join(', ')}`, dedupNote(tally)],
          }),
        ];
      } finally {
        await cluster.stop();
      }
    },
  };
}
