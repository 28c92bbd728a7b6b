// Row 2: `kill -9` a worker in the middle of its deliveries, again and again, under load. A new
// worker replaces each one; the jobs the dead one held stall and are delivered by another once
// their locks expire. Expected: 0 lost, none failed, duplicates at most the commits in flight:
// each lane's job in the dead worker's hands and the followers it carried.
import {
  createRedisConnection,
  laneQueueName,
  stallRecords,
  type RedisConnection,
} from '@commitlog/queue';
import { hostname } from 'node:os';
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

/** The worker name a worker process on this machine gives itself (start-worker.ts). */
const workerName = (pid: number): string => `${hostname()}:${pid}`;

/**
 * Waits, up to `withinMs`, until the worker `name` holds a job being delivered (a job in some
 * lane's active list whose holder it is), so that a kill then lands mid-delivery. False when it
 * never did within the time.
 */
async function untilHoldingAJob(
  redis: RedisConnection,
  prefix: string,
  lanes: number,
  name: string,
  withinMs: number,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    for (let lane = 0; lane < lanes; lane++) {
      const queue = `${prefix}:${laneQueueName(lane)}`;
      for (const id of await redis.lrange(`${queue}:active`, 0, -1)) {
        if ((await redis.hget(`${queue}:${id}`, 'clh')) === name) return true;
      }
    }
  }
  return false;
}

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
        role: 'producer',
        onError: () => undefined,
      });
      try {
        const load = cluster.load({ perSecond: options.perSecond });
        const dead = new Set<number>();
        let faultEndedAt = Date.now();
        for (let k = 0; k < options.kills; k++) {
          await sleep(options.everyMs);
          // The oldest worker alive: it has been delivering the longest. Killed as it holds a
          // job, so that the kill is one mid-delivery and not between two.
          const victim = cluster.system.workers.find((w) => !dead.has(w.pid))!;
          const holding = await untilHoldingAJob(
            redis,
            cluster.system.prefix,
            cluster.lanes,
            workerName(victim.pid),
            3000,
          );
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
        // The row's fault is a worker dying with jobs in hand: their stalls must be on record.
        const killed = new Set([...dead].map(workerName));
        const stalls = (await stallRecords(redis, cluster.system.prefix, 1000)).filter(
          (s) => s.worker !== undefined && killed.has(s.worker),
        );
        result.notes.push(`${stalls.length} stalled jobs of killed workers`);
        if (stalls.length === 0) {
          result.problems.push('no killed worker left a stalled job: no kill landed mid-delivery');
        }
        return [result];
      } finally {
        redis.disconnect();
        await cluster.stop();
      }
    },
  };
}
