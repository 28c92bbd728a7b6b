// The age of a lane's head (`readLaneStates`, read by every worker's scrape, `status` and the
// dashboard) on a Redis of the test's own, whose slow log and command stream are the test's alone:
// a re-driven head is aged from its re-drive without Redis reading its data, a commit of up to a
// megabyte.
import { startPrivateRedis, waitFor, type PrivateRedis } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { laneCommit } from '../test/lane-space.ts';
import { monitorRedis } from '../test/redis-monitor.ts';
import { createCommitEnqueuer, type CommitEnqueuer } from './commit-enqueuer.ts';
import type { CommitJobData } from './commit-job.ts';
import { readLaneStates } from './lane-backlog.ts';
import { laneQueueName } from './lane-queue-name.ts';
import { startLaneWorkers } from './lane-workers.ts';
import { createRedisConnection, type RedisConnection } from './redis-connection.ts';
import { redrive } from './redrive.ts';
import { REDRIVEN_AT_FIELD } from './redriven-at-field.ts';
import { openLaneQueue } from './with-lane-queue.ts';

const PREFIX = 'head';

function laneKey(lane: number, name: string): string {
  return `${PREFIX}:${laneQueueName(lane)}:${name}`;
}

/** A commit of lane `lane` whose one value is `bytes` bytes (base64: a third more). */
function commitOf(lane: number, n: number, bytes: number): CommitJobData {
  const data = laneCommit(lane, n);
  data.commit.siblings = [{ value: Buffer.alloc(bytes, 7).toString('base64') }];
  return data;
}

describe("a lane's head on a Redis of its own", () => {
  let redis: PrivateRedis;
  let connection: RedisConnection;
  let enqueuer: CommitEnqueuer;

  beforeEach(async () => {
    redis = await startPrivateRedis();
    connection = createRedisConnection({ url: redis.url, role: 'producer', onError: () => {} });
    enqueuer = createCommitEnqueuer({ connection, prefix: PREFIX, maxLaneBacklog: 100, lanes: 16 });
  });

  afterEach(async () => {
    await enqueuer.close();
    connection.disconnect();
    await redis.cleanup();
  });

  /** Fails every commit of `lanes` once, then re-drives them all at `at` (epoch ms). */
  async function failAndRedrive(lanes: number[], count: number, at: number): Promise<void> {
    const workerConnection = createRedisConnection({
      url: redis.url,
      role: 'worker',
      onError: () => {},
    });
    const workers = await startLaneWorkers({
      connection: workerConnection,
      prefix: PREFIX,
      lanes,
      workerName: 'head-test',
      lockDurationMs: 5000,
      dedupWindowMs: 3_600_000,
      handle: () => Promise.resolve({ kind: 'fail', reason: 'expired', message: 'past its TTL' }),
    });
    try {
      await waitFor(
        async () => {
          const failed = await Promise.all(
            lanes.map((lane) => connection.zcard(laneKey(lane, 'failed'))),
          );
          return failed.reduce((a, b) => a + b, 0) === count;
        },
        { description: `${count} failures` },
      );
    } finally {
      await workers.close();
      workerConnection.disconnect();
    }
    expect(await redrive(connection, PREFIX, lanes, {}, at)).toEqual({
      redriven: count,
      skipped: 0,
    });
  }

  it('ages a large re-driven head from its re-drive, never reading its data', async () => {
    // Lane 0: a commit of a megabyte (1.3 MB as stored), re-driven an hour after it was accepted.
    // Lane 1: one that never failed, of 10 KB.
    await enqueuer.enqueue(commitOf(0, 0, 1_000_000));
    const hourLater = Date.now() + 3_600_000;
    await failAndRedrive([0], 1, hourLater);
    await enqueuer.enqueue(commitOf(1, 0, 10_000));
    const lane0 = openLaneQueue(connection, PREFIX, 0);
    const data = (await lane0.getJob('c-0-0'))?.data;
    await lane0.close();
    expect(data?.redrivenAt).toBe(new Date(hourLater).toISOString());
    expect(await connection.hget(laneKey(0, 'c-0-0'), REDRIVEN_AT_FIELD)).toBe(data?.redrivenAt);

    await connection.config('SET', 'slowlog-log-slower-than', '1000');
    await connection.slowlog('RESET');
    // Every command Redis runs, the scripts' own included: none may name a job's data.
    const named: string[][] = [];
    const monitor = await monitorRedis(redis.url, (args) => named.push(args));
    try {
      const { backlogs } = await readLaneStates(connection, PREFIX, [0, 1], () => hourLater + 1000);
      expect(backlogs.map((b) => [b.waiting, b.oldestWaitingAgeMs! > 3_600_000])).toEqual([
        [1, false],
        [1, true],
      ]);
      expect(backlogs[0]?.oldestWaitingAgeMs).toBe(1000);
      await connection.ping('done');
      await waitFor(() => named.some((args) => args.includes('done')), {
        description: 'the monitor to catch up',
      });
    } finally {
      monitor.stop();
    }
    expect(named.filter((args) => args.includes('data'))).toEqual([]);
    expect(await connection.slowlog('GET', 100)).toEqual([]);
  });

  it('ages a head re-driven by an earlier version (its time in its data only) from its data', async () => {
    await enqueuer.enqueue(commitOf(0, 0, 2_000));
    await enqueuer.enqueue(commitOf(1, 0, 1_000_000));
    const hourLater = Date.now() + 3_600_000;
    await failAndRedrive([0, 1], 2, hourLater);
    for (const key of [laneKey(0, 'c-0-0'), laneKey(1, 'c-1-0')]) {
      await connection.hdel(key, REDRIVEN_AT_FIELD);
    }

    const { backlogs } = await readLaneStates(connection, PREFIX, [0, 1], () => hourLater + 1000);
    expect(backlogs[0]?.oldestWaitingAgeMs).toBe(1000);
    // A commit past 64 KiB is not read for it: aged from its acceptance, an hour more.
    expect(backlogs[1]?.oldestWaitingAgeMs).toBeGreaterThan(3_600_000);
  });
});
