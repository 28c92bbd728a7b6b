// Row 1: `kill -9` the ingest again and again under load, restarting it on the same port each
// time. Requests in flight get no answer (never a 2xx from a dead process); the client retries,
// and a commit the dead ingest had already stored is answered `duplicate: true` and delivered
// once. Expected: 0 lost, no duplicate on Kafka (no worker died).
import { killIngest } from '../fault-actions.ts';
import { startFaultCluster } from '../fault-cluster.ts';
import { dedupNote, rowResult, sleep, type Scenario } from '../row-result.ts';

export function ingestKill(options: {
  kills: number;
  everyMs: number;
  perSecond: number;
}): Scenario {
  return {
    row: '1',
    title: `ingest kill -9 ×${options.kills}`,
    async run({ log }) {
      const cluster = await startFaultCluster({ workers: 2 });
      try {
        const load = cluster.load({ perSecond: options.perSecond });
        let faultEndedAt = Date.now();
        for (let k = 0; k < options.kills; k++) {
          await sleep(options.everyMs);
          await killIngest.run(cluster, log);
          faultEndedAt = Date.now();
        }
        await sleep(options.everyMs);
        const tally = await load.stop();
        const report = await cluster.check(tally, faultEndedAt);
        const result = rowResult('1', `ingest kill -9 ×${options.kills}`, tally, report, {
          notes: [dedupNote(tally)],
        });
        if (report.duplicates > 0) result.problems.push(`${report.duplicates} duplicates on Kafka`);
        const other = [...tally.refusals.keys()].filter((s) => s !== 0 && s !== 503);
        if (other.length > 0) result.problems.push(`refused with ${other.join(', ')}`);
        return [result];
      } finally {
        await cluster.stop();
      }
    },
  };
}
