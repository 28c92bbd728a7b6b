/**
 * The fault matrix (issue 7): every row as a scenario, in its full form for `pnpm faults` and,
 * for rows 2, 4, 5 and 10, the short form the default test command runs.
 */
import type { Scenario } from './row-result.ts';
import { hostileInput } from './scenarios/hostile-input.ts';
import { kafkaCrash, kafkaOutage } from './scenarios/kafka-faults.ts';
import { redisOutage } from './scenarios/redis-outage.ts';
import { workerKill } from './scenarios/worker-kill.ts';

const MINUTE = 60_000;

/** Rows 2, 4, 5 (1 minute) and 10: what `./commitlog test` runs, a few minutes in all. */
export function shortForm(): Scenario[] {
  return [
    workerKill({ kills: 4, everyMs: 8_000, perSecond: 150 }),
    redisOutage({ perSecond: 150, downMs: 5_000, aroundMs: 6_000 }),
    kafkaOutage({ perSecond: 100, downMs: MINUTE, aroundMs: 8_000 }),
    hostileInput(),
  ];
}

/** Every row, full length. */
export function fullMatrix(): Scenario[] {
  return [
    workerKill({ kills: 6, everyMs: 10_000, perSecond: 150 }),
    redisOutage({ perSecond: 150, downMs: 10_000, aroundMs: 10_000 }),
    kafkaOutage({ perSecond: 100, downMs: MINUTE, aroundMs: 10_000 }),
    kafkaOutage({ perSecond: 100, downMs: 5 * MINUTE, aroundMs: 10_000 }),
    kafkaCrash({ perSecond: 100, downMs: 20_000, aroundMs: 10_000 }),
    hostileInput(),
  ];
}
