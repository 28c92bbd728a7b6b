// Row 2: `kill -9` a worker in the middle of its deliveries, again and again, under load. A new
// worker replaces each one; the jobs the dead one held stall and are delivered by another once
// their locks expire. Expected: 0 lost, none failed, duplicates at most the commits in flight:
// each lane's job in the dead worker's hands and the followers it carried.
import { createRedisConnection, stallRecords } from '@commitlog/queue';
import { stopHoldingAJob, workerName } from '../../support/worker-hold.ts';
import { startFaultCluster } from '../fault-cluster.ts';
import { rowResult, sleep, type Scenario } from '../row-result.ts';

export interface WorkerKillOptions {
  kills: number;
  /** Ms between kills. */
  everyMs: number;
  perSecond: number;
}

/**
 * LANE_BATCH_MAX of the row's workers: a lane's most commits in one produce request. Below the
 * default (100) so that the duplicate bound, kills × lanes × it, stays well under the commits the
 * row sends (4 × 8 × 100 would be a third of them) and still catches a replay of a backlog.
 */
const LANE_BATCH = 20;

export function workerKill(options: WorkerKillOptions): Scenario {
  return {
    row: '2',
    title: `worker kill -9 ×${options.kills} (LANE_BATCH_MAX=${LANE_BATCH})`,
    async run({ log }) {
      const cluster = await startFaultCluster({
        workers: 2,
        env: { LANE_BATCH_MAX: String(LANE_BATCH) },
      });
      const redis = createRedisConnection({
        url: cluster.redis.url,
        role: 'worker',
        onError: () => undefined,
      });
      try {
        const load = cluster.load({ perSecond: options.perSecond });
        const dead = new Set<number>();
        const killedHolding = new Set<string>();
        let faultEndedAt = Date.now();
        for (let k = 0; k < options.kills; k++) {
          await sleep(options.everyMs);
          // The oldest worker alive: it has been delivering the longest. Stopped as it holds a
          // job and killed then, so that the kill is one mid-delivery and not between two.
          const victim = cluster.system.workers.find((w) => !dead.has(w.pid))!;
          const holding = await stopHoldingAJob(
            redis,
            cluster.system.prefix,
            cluster.lanes,
            victim,
            3000,
          );
          if (holding) killedHolding.add(workerName(victim.pid));
          victim.signal('SIGKILL');
          await victim.exited;
          dead.add(victim.pid);
          log(
            `killed worker pid ${victim.pid} (${k + 1}/${options.kills})` +
              (holding ? ' as it held a job' : ' (it held no job within 3 s)'),
          );
          await cluster.system.startWorker();
          faultEndedAt = Date.now();
        }
        await sleep(options.everyMs);
        const tally = await load.stop();
        const report = await cluster.check(tally, faultEndedAt);
        // Each dead worker held at most one job per lane, and each job carried at most
        // LANE_BATCH - 1 followers in the same produce request: all of them may have reached
        // Kafka unrecorded, and go again with the stalled job.
        const inFlightBound = options.kills * cluster.lanes * LANE_BATCH;
        const result = rowResult(
          '2',
          `worker kill -9 ×${options.kills} (LANE_BATCH_MAX=${LANE_BATCH})`,
          tally,
          report,
          {
            notes: [`duplicates allowed: ≤ ${inFlightBound} (kills × lanes × LANE_BATCH_MAX)`],
          },
        );
        if (report.duplicates > inFlightBound) {
          result.problems.push(`${report.duplicates} duplicates > ${inFlightBound} in flight`);
        }
        // The row's fault is a worker dying with jobs in hand: each such death must show as a
        // stall on record, named after the worker that held the job.
        const stalled = new Set(
          (await stallRecords(redis, cluster.system.prefix, 1000)).map((s) => s.worker),
        );
        const unseen = [...killedHolding].filter((name) => !stalled.has(name));
        result.notes.push(
          `${killedHolding.size} of ${options.kills} kills with a job in hand, ` +
            `${killedHolding.size - unseen.length} of them seen as stalls`,
        );
        if (killedHolding.size === 0) {
          result.problems.push('no kill landed while the worker held a job');
        }
        if (unseen.length > 0) {
          result.problems.push(
            `killed holding a job, but no stall on record: ${unseen.join(', ')}`,
          );
        }
        return [result];
      } finally {
        redis.disconnect();
        await cluster.stop();
      }
    },
  };
}
