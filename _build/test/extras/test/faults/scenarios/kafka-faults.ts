// Rows 5 and 6: Kafka goes away under load. Stopped cleanly for minutes (row 5): the ingest keeps
// accepting, commits wait in their lanes, the backlog drains once Kafka is back and none fails.
// Killed with -9, and hung with SIGSTOP past the producer's request time-out (row 6): nothing
// accepted is lost; the duplicates a crash causes are counted.
import { startFaultCluster, type FaultCluster } from '../fault-cluster.ts';
import type { DeliveryReport } from '../fault-oracle.ts';
import type { LoadTally } from '../fault-load.ts';
import { acceptedInside, rowResult, sleep, type RowResult, type Scenario } from '../row-result.ts';

export interface KafkaOutageOptions {
  perSecond: number;
  /** How long Kafka stays down, ms. */
  downMs: number;
  /** Load before the fault and after Kafka is back, ms. */
  aroundMs: number;
}

/** Runs the load around one Kafka fault; `fault` breaks Kafka and resolves once it is back. */
async function underLoad(
  cluster: FaultCluster,
  row: string,
  name: string,
  options: KafkaOutageOptions,
  fault: () => Promise<void>,
): Promise<{ result: RowResult; tally: LoadTally; report: DeliveryReport }> {
  const bucket = await cluster.phase(row);
  const load = cluster.load({ perSecond: options.perSecond, bucket });
  await sleep(options.aroundMs);
  await fault();
  const faultEndedAt = Date.now();
  await sleep(options.aroundMs);
  const tally = await load.stop();
  // The backlog of a long outage takes a while to drain; the oracle waits at least as long.
  const drainTimeoutMs = Math.max(180_000, options.downMs);
  const report = await cluster.check(tally, faultEndedAt, { bucket, drainTimeoutMs });
  return { result: rowResult(row, name, tally, report), tally, report };
}

export function kafkaOutage(options: KafkaOutageOptions): Scenario {
  const minutes = `${Math.round(options.downMs / 6000) / 10} min`;
  return {
    row: '5',
    title: `Kafka stopped for ${minutes}`,
    async run({ log }) {
      const cluster = await startFaultCluster({ workers: 2 });
      try {
        const down = { from: 0, to: 0 };
        const { result, tally, report } = await underLoad(
          cluster,
          '5',
          `Kafka stopped ${minutes}`,
          options,
          async () => {
            await cluster.kafka.stop();
            down.from = Date.now();
            log(`Kafka stopped for ${minutes}`);
            await sleep(options.downMs);
            down.to = Date.now();
            await cluster.kafka.start();
            log('Kafka back');
          },
        );
        // The fault happened: commits were accepted while Kafka was down, and none reached it
        // then (a second after the stop, for records in flight); they were delivered after.
        const acceptedWhileDown = acceptedInside(tally, [down]);
        const deliveredWhileDown = report.firstDeliveries.filter(
          (at) => at > down.from + 1000 && at < down.to,
        ).length;
        result.notes.push(
          `accepted while Kafka was down: ${acceptedWhileDown}; delivered then: ${deliveredWhileDown}`,
        );
        if (acceptedWhileDown === 0)
          result.problems.push('no commit was accepted while Kafka was down: no outage under load');
        if (deliveredWhileDown > 0)
          result.problems.push(
            `${deliveredWhileDown} commits reached Kafka while it was to be down: it never stopped`,
          );
        // Kafka being away is no reason to refuse a commit: it waits in Redis.
        const refused = [...result.notes].find(
          (n) => n !== 'refused: none' && n.startsWith('refused'),
        );
        if (refused)
          result.problems.push(`the ingest refused commits while Kafka was down (${refused})`);
        return [result];
      } finally {
        await cluster.stop();
      }
    },
  };
}

export function kafkaCrash(options: KafkaOutageOptions): Scenario {
  return {
    row: '6',
    title: 'Kafka kill -9, and SIGSTOP past the request time-out',
    async run({ log }) {
      const cluster = await startFaultCluster({ workers: 2 });
      try {
        const { result: killed } = await underLoad(
          cluster,
          '6a',
          'Kafka kill -9',
          options,
          async () => {
            await cluster.kafka.kill();
            log('Kafka killed');
            await sleep(options.downMs);
            await cluster.kafka.start();
            log('Kafka back');
          },
        );
        const { result: paused } = await underLoad(
          cluster,
          '6b',
          'Kafka SIGSTOP',
          options,
          async () => {
            await cluster.kafka.pause();
            log('Kafka paused');
            await sleep(options.downMs);
            await cluster.kafka.resume();
            log('Kafka resumed');
          },
        );
        return [killed, paused];
      } finally {
        await cluster.stop();
      }
    },
  };
}
