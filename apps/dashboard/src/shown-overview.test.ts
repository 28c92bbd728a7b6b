import {
  readDeliveryOverview,
  type DeliveryOverview,
  type FailedReasonGroup,
  type RedisConnection,
} from '@commitlog/queue';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { cacheByLaneCount } from './failed-reasons-cache.ts';
import { readShownOverview, type ReadOverview } from './shown-overview.ts';

const groups: FailedReasonGroup[] = [
  { reason: 'expired', count: 3, newestAt: 500, oldestAt: 100, newest: { lane: 2, jobId: 'j' } },
];

/** An overview read at `at` that takes its failures by reason from what it is given. */
const overviewAt =
  (at: number): ReadOverview =>
  async (readFailedByReason) => ({
    at,
    backlogs: [],
    held: [],
    failedByReason: await readFailedByReason([0, 1, 2, 3]),
    recentFailures: [],
    stalls: [],
    stallsRecorded: 0,
    rates: [],
  });

describe('readShownOverview', () => {
  it('says when its failures by reason were read: by the cache, maybe long before the rest', async () => {
    let t = 10_000;
    const cache = cacheByLaneCount(
      () => Promise.resolve(groups),
      60_000,
      () => t,
    );
    const first = await readShownOverview(cache, overviewAt(t));
    expect(first).toMatchObject({ at: 10_000, failedByReason: groups, failedByReasonAt: 10_000 });
    t += 40_000;
    const later = await readShownOverview(cache, overviewAt(t));
    expect(later).toMatchObject({ at: 50_000, failedByReason: groups, failedByReasonAt: 10_000 });
  });

  it('says nothing of a reading it did not make', async () => {
    const cache = cacheByLaneCount(
      () => Promise.resolve(groups),
      60_000,
      () => 0,
    );
    const overview: DeliveryOverview = await overviewAt(5)(() => Promise.resolve([]));
    const shown = await readShownOverview(cache, () => Promise.resolve(overview));
    expect(shown).toBe(overview);
    expect(shown).not.toHaveProperty('failedByReasonAt');
  });

  it("fits the overview's own reading, as start-dashboard.ts makes it", () => {
    const wiring = (connection: RedisConnection, laneCount: number): ReadOverview => {
      return (readFailedByReason) =>
        readDeliveryOverview(connection, 'commitlog', laneCount, { readFailedByReason });
    };
    expectTypeOf(wiring).returns.toEqualTypeOf<ReadOverview>();
  });
});
