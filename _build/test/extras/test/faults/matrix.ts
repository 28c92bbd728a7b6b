/**
 * The fault matrix (issue 7): every row as a scenario, in its full form for `pnpm faults` and,
 * for rows 1, 2, 4, 5, 10 and 13, the short form the default test command runs (row 13's is its
 * full form).
 */
import type { Scenario } from './row-result.ts';
import { hookIngestDown } from './scenarios/hook-ingest-down.ts';
import { hostileInput } from './scenarios/hostile-input.ts';
import { ingestKill } from './scenarios/ingest-kill.ts';
import { kafkaCrash, kafkaOutage } from './scenarios/kafka-faults.ts';
import { loneWorkerCutOff } from './scenarios/lone-worker-cut-off.ts';
import { overload } from './scenarios/overload.ts';
import { proxyFaults } from './scenarios/proxy-faults.ts';
import { redisMaxmemory } from './scenarios/redis-maxmemory.ts';
import { redisOutage } from './scenarios/redis-outage.ts';
import { workerKill } from './scenarios/worker-kill.ts';
import { workerPause } from './scenarios/worker-pause.ts';

const MINUTE = 60_000;

// Row 13: past WORKER_LOCK (4 s) and the old client's retries (4 tries of 2 s), on 20 keys.
const LONE_WORKER_CUT_OFF = { perSecond: 100, keys: 20, cutMs: 12_000, aroundMs: 8_000 };

/** Rows 1, 2, 4, 5 (1 minute), 10 and 13: what `./commitlog test` runs, a few minutes in all. */
export function shortForm(): Scenario[] {
  return [
    ingestKill({ kills: 3, everyMs: 5_000, perSecond: 150 }),
    workerKill({ kills: 4, everyMs: 8_000, perSecond: 150 }),
    redisOutage({ perSecond: 150, downMs: 5_000, aroundMs: 6_000 }),
    kafkaOutage({ perSecond: 100, downMs: MINUTE, aroundMs: 8_000 }),
    hostileInput(),
    loneWorkerCutOff(LONE_WORKER_CUT_OFF),
  ];
}

/** Every row, full length (the soak, row 12, runs alone with `--soak`). */
export function fullMatrix(): Scenario[] {
  return [
    ingestKill({ kills: 5, everyMs: 6_000, perSecond: 150 }),
    workerKill({ kills: 6, everyMs: 10_000, perSecond: 150 }),
    // Past WORKER_LOCK (4 s in the fault cluster, as in every end-to-end test).
    workerPause({ pauses: 2, pauseMs: 12_000, perSecond: 150 }),
    redisOutage({ perSecond: 150, downMs: 10_000, aroundMs: 10_000 }),
    kafkaOutage({ perSecond: 100, downMs: MINUTE, aroundMs: 10_000 }),
    kafkaOutage({ perSecond: 100, downMs: 5 * MINUTE, aroundMs: 10_000 }),
    kafkaCrash({ perSecond: 100, downMs: 20_000, aroundMs: 10_000 }),
    proxyFaults({
      perSecond: 100,
      latencyMs: 100,
      blackholeMs: 30_000,
      resetMs: 2_000,
      aroundMs: 5_000,
    }),
    redisMaxmemory({ perSecond: 100, fullMs: 15_000 }),
    // One worker 100 ms away from Kafka delivers about 16/s here: 32/s is twice that.
    overload({ perSecond: 32, overloadMs: 2 * MINUTE, laneBacklog: 100 }),
    hostileInput(),
    hookIngestDown({ commits: 200 }),
    loneWorkerCutOff(LONE_WORKER_CUT_OFF),
  ];
}
