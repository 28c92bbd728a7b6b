// Row 3: SIGSTOP a worker for longer than its lock (WORKER_LOCK), then SIGCONT. Its jobs stall
// and another worker delivers them (and the lanes go on) while it is paused; once resumed it goes
// on working without crashing. Per-key order holds for every key that was not in flight when it
// stopped (a key in flight may see its commit twice, the paused worker's copy late).
import { pauseWorker } from '../fault-actions.ts';
import { startFaultCluster } from '../fault-cluster.ts';
import { rowResult, sleep, watchAlive, type Scenario } from '../row-result.ts';

export function workerPause(options: {
  pauses: number;
  pauseMs: number;
  perSecond: number;
}): Scenario {
  return {
    row: '3',
    title: `worker SIGSTOP ${options.pauseMs / 1000} s ×${options.pauses}`,
    async run({ log }) {
      const cluster = await startFaultCluster({ workers: 2 });
      try {
        const victim = cluster.system.workers[0]!;
        const victimAlive = watchAlive(victim);
        const load = cluster.load({ perSecond: options.perSecond });
        const windows: { from: number; to: number }[] = [];
        for (let p = 0; p < options.pauses; p++) {
          await sleep(8_000);
          const from = Date.now();
          await pauseWorker(options.pauseMs).run(cluster, log);
          windows.push({ from, to: Date.now() });
        }
        const faultEndedAt = Date.now();
        await sleep(8_000);
        const tally = await load.stop();
        const report = await cluster.check(tally, faultEndedAt);
        const deliveredWhilePaused = windows.map(
          (w) => report.firstDeliveries.filter((t) => t >= w.from && t <= w.to).length,
        );
        const alive = victimAlive();
        const health = await fetch(`http://127.0.0.1:${victim.port}/healthz`)
          .then((r) => r.status)
          .catch(() => 0);
        const outOfOrder = report.orderProblems.filter(
          (p) => ![...report.keysWithDuplicates].some((k) => p.startsWith(`key ${k}:`)),
        );
        const result = rowResult(
          '3',
          `worker SIGSTOP ${options.pauseMs / 1000} s ×${options.pauses}`,
          tally,
          report,
          {
            notes: [
              `delivered by the others while paused: ${deliveredWhilePaused.join(', ')}`,
              `keys in flight (seen twice): ${report.keysWithDuplicates.size}`,
              `order problems on keys in flight: ${report.orderProblems.length - outOfOrder.length}`,
            ],
          },
        );
        if (deliveredWhilePaused.some((n) => n === 0))
          result.problems.push('nothing delivered during a pause');
        if (!alive || health !== 200)
          result.problems.push(`the paused worker did not recover (healthz ${health})`);
        result.problems.push(...outOfOrder.map((p) => `order: ${p}`));
        return [result];
      } finally {
        await cluster.stop();
      }
    },
  };
}
