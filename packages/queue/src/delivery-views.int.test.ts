// The delivery views on the real Redis, over jobs failed, held and re-driven by real lane workers.
import { openLaneSpace, type LaneSpace } from '../test/lane-space.ts';
import { waitFor, type TestQueuePrefix } from '@commitlog/testkit';
import { Queue } from 'bullmq';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCEPT_SEQUENCE_FIELD } from './accept-sequence.ts';
import type { CommitJobData } from './commit-job.ts';
import { type CommitEnqueuer } from './commit-enqueuer.ts';
import { recordStall, stallRecords } from './delivery-views.ts';
import { redrive } from './redrive.ts';
import { discardUnreadable, DiscardRefusedError } from './discard.ts';
import { failedByReason } from './failed-deliveries.ts';
import { RedriveInterruptedError } from './queue-errors.ts';
import { UNREADABLE_JOB_DATA } from './tolerant-job.ts';
import { openLaneQueue } from './with-lane-queue.ts';
import { readLaneBacklogs, readLaneStates } from './lane-backlog.ts';
import { laneQueueName } from './lane-queue-name.ts';
import type { LaneJob, LaneOutcome } from './lane-job.ts';
import {
  createRedisConnection,
  whenFirstConnected,
  type RedisConnection,
} from './redis-connection.ts';
import { runScriptsTwice } from '../test/scripts-run-twice.ts';
import type { Command } from 'ioredis';

/** Counts the bytes of the replies `connection` gets from now on (as JSON, roughly). */
function countReplyBytes(connection: RedisConnection): () => number {
  const send = connection.sendCommand.bind(connection);
  let bytes = 0;
  connection.sendCommand = ((command: Command, stream?: Parameters<typeof send>[1]) => {
    const sent = send(command, stream);
    command.promise.then(
      (reply) => (bytes += JSON.stringify(reply ?? null).length),
      () => undefined,
    );
    return sent;
  }) as typeof connection.sendCommand;
  return () => bytes;
}

function job(
  lane: number,
  n: number,
  bucket: CommitJobData['commit']['bucket'] = 'b',
): CommitJobData {
  return {
    id: `c-${lane}-${n}`,
    lane,
    commit: { bucketType: 'default', bucket, key: `k${n}`, op: 'put', siblings: [{ value: '' }] },
    receivedAt: new Date().toISOString(),
  };
}

/** expired for ids ending in an even number, too-large for odd ones. */
function failing(j: LaneJob): Promise<LaneOutcome> {
  const even = Number(j.id.split('-').pop()) % 2 === 0;
  return Promise.resolve(
    even
      ? { kind: 'fail', reason: 'expired', message: 'not delivered within 3s: broker down' }
      : { kind: 'fail', reason: 'too-large', message: 'record of 2000000 bytes' },
  );
}

describe('delivery views on the real Redis', () => {
  let lanesSpace: LaneSpace;
  let space: TestQueuePrefix;
  let producer: RedisConnection;
  let enqueuer: CommitEnqueuer;

  beforeEach(() => {
    lanesSpace = openLaneSpace();
    ({ space, producer, enqueuer } = lanesSpace);
  });

  afterEach(async () => {
    await lanesSpace.close();
  });

  const workers = (lanes: number[], handle: (job: LaneJob) => Promise<LaneOutcome>) =>
    lanesSpace.startWorkers(lanes, handle);

  function queue(lane: number): Queue<CommitJobData> {
    const q = new Queue<CommitJobData>(laneQueueName(lane), {
      connection: producer,
      prefix: space.prefix,
    });
    lanesSpace.onClose(() => q.close());
    return q;
  }

  async function failedCount(lanes: number[]): Promise<number> {
    const counts = await Promise.all(lanes.map((l) => queue(l).getFailedCount()));
    return counts.reduce((a, b) => a + b, 0);
  }

  it('groups failed deliveries of every lane by reason, most frequent first', async () => {
    await workers([0, 1], failing);
    const before = Date.now();
    for (let n = 0; n < 3; n++) await enqueuer.enqueue(job(0, n));
    await enqueuer.enqueue(job(1, 4));
    await waitFor(async () => (await failedCount([0, 1])) === 4, { description: '4 failures' });

    const groups = await failedByReason(producer, space.prefix, [0, 1, 2]);
    expect(groups.map((g) => [g.reason, g.count])).toEqual([
      ['expired', 3],
      ['too-large', 1],
    ]);
    for (const g of groups) {
      expect(g.oldestAt).toBeGreaterThanOrEqual(before);
      expect(g.newestAt).toBeGreaterThanOrEqual(g.oldestAt);
      expect(g.newestAt).toBeLessThanOrEqual(Date.now());
    }
    expect(await failedByReason(producer, space.prefix, [2])).toEqual([]);
    // What the worker's commitlog_lane_failed_commits gauge shows, lane by lane.
    const backlogs = await readLaneBacklogs(producer, space.prefix, [0, 1, 2]);
    expect(backlogs.map((b) => [b.lane, b.failed])).toEqual([
      [0, 3],
      [1, 1],
      [2, 0],
    ]);
  });

  it('re-drives more failed commits than its heap could hold at once', async () => {
    // 1,000 failed commits of 100 KB: 100 MB of values, re-driven by a process whose heap is
    // capped at 64 MB. Holding every matching job before moving any (as re-drives once did) ran
    // out of heap and moved nothing; after a long Kafka outage that is every expired commit.
    const COMMITS = 1000;
    const value = 'A'.repeat(100_000);
    const stop = await workers([6], () =>
      Promise.resolve({ kind: 'fail', reason: 'expired', message: 'past its TTL' }),
    );
    await Promise.all(
      Array.from({ length: COMMITS }, (_, n) => {
        const data = job(6, n);
        data.commit.siblings = [{ value }];
        return enqueuer.enqueue(data);
      }),
    );
    await waitFor(async () => (await failedCount([6])) === COMMITS, {
      timeoutMs: 60_000,
      description: `${COMMITS} failures`,
    });
    // Re-driven commits would fail again at once.
    await stop();

    const redriveInChild = (...filter: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--max-old-space-size=64',
          fileURLToPath(new URL('../test/redrive-in-child.ts', import.meta.url)),
          space.redisUrl,
          space.prefix,
          '6',
          ...filter,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
    // A bucket that none of them is in: every match is read whole to check it, and the re-drive
    // says how far it has come while it moves nothing.
    const none = redriveInChild('expired', 'no-such-bucket');
    expect(none.status, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual({ redriven: 0, skipped: 0 });
    expect(none.stderr).toBe('reading: 1000 read, 0 checked\nreading: 1000 read, 1000 checked\n');
    // A re-drive that matched nothing lists the reasons there are: a second read of them all,
    // which reports its progress too.
    const read: number[] = [];
    const reasons = await failedByReason(producer, space.prefix, [6], (n) => read.push(n));
    expect(reasons.map((r) => [r.reason, r.count])).toEqual([['expired', COMMITS]]);
    expect(read).toEqual([1000]);

    const child = redriveInChild('expired');
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ redriven: COMMITS, skipped: 0 });
    expect(child.stderr).toBe('reading: 1000 read, 0 checked\nprogress: 1000 re-driven\n');
    expect(await queue(6).getJobCounts('wait', 'failed')).toEqual({ wait: COMMITS, failed: 0 });
  }, 300_000);

  it('stops at a Redis error with what it had re-driven, which stays re-driven', async () => {
    const stop = await workers([0], failing);
    for (let n = 0; n < 10; n += 2) await enqueuer.enqueue(job(0, n));
    await waitFor(async () => (await failedCount([0])) === 5, { description: '5 failures' });
    await stop();
    // Lane 1 cannot be read: its failed set is a string (WRONGTYPE), as a Redis error would.
    await producer.set(queue(1).toKey('failed'), 'not a sorted set');

    const error = await redrive(producer, space.prefix, [0, 1], { reason: 'expired' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RedriveInterruptedError);
    expect(error).toMatchObject({
      code: 'REDRIVE_INTERRUPTED',
      partial: { redriven: 5, skipped: 0 },
    });
    expect((error as Error).message).toMatch(/^the re-drive stopped after 5 re-driven \(WRONGTYPE/);
    expect(await queue(0).getJobCounts('wait', 'failed')).toEqual({ wait: 5, failed: 0 });
  });

  it('stops between two jobs when its signal is aborted, with what it had re-driven', async () => {
    const stop = await workers([0, 1], failing);
    for (let n = 0; n < 8; n += 2) await enqueuer.enqueue(job(0, n));
    for (let n = 1; n < 8; n += 2) await enqueuer.enqueue(job(1, n));
    await waitFor(async () => (await failedCount([0, 1])) === 8, { description: '8 failures' });
    await stop();
    // Aborted at its seventh look at the signal: one per failed delivery read (lane 0's four),
    // then one before each move, so after two of lane 0's moves.
    const controller = new AbortController();
    let looks = 0;
    const signal = controller.signal;
    signal.throwIfAborted = () => {
      if (++looks === 7) controller.abort(new Error('the dashboard is stopping'));
      AbortSignal.prototype.throwIfAborted.call(signal);
    };
    const error = await redrive(
      producer,
      space.prefix,
      [0, 1],
      { reason: 'expired' },
      Date.now(),
      undefined,
      undefined,
      signal,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedriveInterruptedError);
    expect(error).toMatchObject({ partial: { redriven: 2, skipped: 0 } });
    expect((error as Error).message).toContain('(the dashboard is stopping)');
    expect(await queue(0).getJobCounts('wait', 'failed')).toEqual({ wait: 2, failed: 2 });
    expect(await queue(1).getJobCounts('wait', 'failed')).toEqual({ wait: 0, failed: 4 });
  });

  it('re-drives past failed jobs whose data does not parse, leaving them failed and naming them', async () => {
    const stop = await workers([0], failing);
    for (let n = 0; n < 12; n += 2) await enqueuer.enqueue(job(0, n));
    await waitFor(async () => (await failedCount([0])) === 6, { description: '6 failures' });
    await stop();
    // Hand edits: the second failure's data is cut short, the third's holds no commit, the
    // fourth's is JSON but no object, the fifth's commit is null.
    await producer.hset(queue(0).toKey('c-0-2'), 'data', '{"id":"c-0-2","commit":{"sib');
    await producer.hset(queue(0).toKey('c-0-4'), 'data', '{"id":"c-0-4"}');
    await producer.hset(queue(0).toKey('c-0-6'), 'data', 'null');
    await producer.hset(queue(0).toKey('c-0-8'), 'data', '{"id":"c-0-8","commit":null}');

    const result = await redrive(producer, space.prefix, [0], { reason: 'expired' });
    expect(result).toEqual({
      redriven: 2,
      skipped: 0,
      unreadable: { count: 4, ids: ['c-0-2', 'c-0-4', 'c-0-6', 'c-0-8'] },
    });
    expect(await queue(0).getJobCounts('wait', 'failed')).toEqual({ wait: 2, failed: 4 });
    expect(await queue(0).getJobState('c-0-2')).toBe('failed');
    // Left as they were: their data is for an operator to look into, or discard.
    expect(await producer.hget(queue(0).toKey('c-0-2'), 'data')).toBe(
      '{"id":"c-0-2","commit":{"sib',
    );
    // A lane's page of failed jobs reads every one of them together (Bull Board's list): BullMQ's
    // own queue object throws at the job that does not parse, the lane's queue object does not.
    await expect(queue(0).getFailed()).rejects.toThrow(SyntaxError);
    const board = openLaneQueue(producer, space.prefix, 0);
    lanesSpace.onClose(() => board.close());
    const failed = await board.getFailed();
    expect(failed.map((j) => j.id).sort()).toEqual(['c-0-2', 'c-0-4', 'c-0-6', 'c-0-8']);
    expect(failed.find((j) => j.id === 'c-0-2')?.data).toEqual(UNREADABLE_JOB_DATA);
    expect(failed.find((j) => j.id === 'c-0-6')?.data).toEqual(UNREADABLE_JOB_DATA);
  });

  it('discards a failed job that holds no commit, and refuses one that holds a commit or has not failed', async () => {
    const stop = await workers([7], failing);
    await enqueuer.enqueue(job(7, 0));
    await enqueuer.enqueue(job(7, 2));
    await waitFor(async () => (await failedCount([7])) === 2, { description: '2 failures' });
    await stop();
    await enqueuer.enqueue(job(7, 4)); // no worker: it waits
    // Its commit is null: no commit (the CLI's test discards one whose data is cut short).
    await producer.hset(queue(7).toKey('c-7-0'), 'data', '{"id":"c-7-0","commit":null}');
    const lanes = [5, 6, 7];

    const holds = await discardUnreadable(producer, space.prefix, lanes, 'c-7-2').catch(
      (e: unknown) => e,
    );
    expect(holds).toBeInstanceOf(DiscardRefusedError);
    expect((holds as Error).message).toMatch(
      /^job c-7-2 of lane 7 holds a commit: .*redrive --job c-7-2\)$/,
    );
    const waiting = await discardUnreadable(producer, space.prefix, lanes, 'c-7-4').catch(
      (e: unknown) => e,
    );
    expect((waiting as Error).message).toMatch(/^job c-7-4 of lane 7 is not a failed delivery/);
    // JSON whose commit is an object, however wrong: counted as a commit, kept.
    await producer.hset(queue(7).toKey('c-7-2'), 'data', '{"id":"c-7-2","commit":{}}');
    await expect(discardUnreadable(producer, space.prefix, lanes, 'c-7-2')).rejects.toThrow(
      /holds a commit/,
    );
    // A lone surrogate: JSON.parse (what the worker and a re-drive read with) takes it, Redis's
    // cjson does not; the discard goes by the former and keeps the commit.
    await producer.hset(
      queue(7).toKey('c-7-2'),
      'data',
      '{"id":"c-7-2","commit":{"key":"\\ud800"}}',
    );
    await expect(discardUnreadable(producer, space.prefix, lanes, 'c-7-2')).rejects.toThrow(
      /holds a commit/,
    );
    await producer.hset(queue(7).toKey('c-7-2'), 'data', JSON.stringify(job(7, 2)));
    expect(await discardUnreadable(producer, space.prefix, lanes, 'c-7-9')).toBeUndefined();
    expect(await queue(7).getJobCounts('wait', 'failed')).toEqual({ wait: 1, failed: 2 });

    const lockKey = `${queue(7).toKey('c-7-0')}:lock`;
    await producer.set(lockKey, 'a-worker-token');
    await expect(discardUnreadable(producer, space.prefix, lanes, 'c-7-0')).rejects.toThrow(
      /^job c-7-0 of lane 7 is held by a worker/,
    );
    await producer.del(lockKey);
    // Data that changes between its reading and the script (here: read as something else every
    // time) is not removed: what was judged is not what would go.
    const stale = new Proxy(producer, {
      get(target, name, receiver) {
        if (name === 'hgetBuffer') return () => Promise.resolve(Buffer.from('{"id":"c-7-0"}'));
        return Reflect.get(target, name, receiver) as unknown;
      },
    });
    await expect(discardUnreadable(stale, space.prefix, lanes, 'c-7-0')).rejects.toThrow(
      /^job c-7-0 of lane 7 changed while it was read, 3 times/,
    );
    // After a change of LANES an id can be in two lanes: a copy waiting in lane 5 is left alone.
    await enqueuer.enqueue({ ...job(5, 0), id: 'c-7-0' });
    expect(await discardUnreadable(producer, space.prefix, lanes, 'c-7-0')).toBe(7);
    expect(await queue(5).getJobCounts('wait')).toEqual({ wait: 1 });
    expect(await queue(7).getJobCounts('wait', 'failed')).toEqual({ wait: 1, failed: 1 });
    expect(await producer.exists(queue(7).toKey('c-7-0'))).toBe(0);
    expect(await redrive(producer, space.prefix, [7], { reason: 'expired' })).toEqual({
      redriven: 1,
      skipped: 0,
    });
  });

  it('reports a discard whose answer was lost and that ioredis sent again as done', async () => {
    const stop = await workers([7], failing);
    await enqueuer.enqueue(job(7, 0));
    await waitFor(async () => (await failedCount([7])) === 1, { description: 'the failure' });
    await stop();
    await producer.hset(queue(7).toKey('c-7-0'), 'data', '{"id":"c-7-0","commit":null}');
    // Its own connection, whose scripts on lane 7's failed set each run twice.
    const twice = createRedisConnection({ url: space.redisUrl, role: 'worker', onError() {} });
    try {
      await whenFirstConnected(twice, 10_000);
      const ranTwice = runScriptsTwice(twice, producer, queue(7).toKey('failed'));
      // Without the call's token the second run found no job: "no lane holds", of a removed job.
      expect(await discardUnreadable(twice, space.prefix, [6, 7], 'c-7-0')).toBe(7);
      expect(ranTwice()).toBe(1);
      expect(await producer.exists(queue(7).toKey('c-7-0'))).toBe(0);
      expect(await failedCount([7])).toBe(0);
      // Another call is told the truth: nothing of that id is left.
      expect(await discardUnreadable(producer, space.prefix, [6, 7], 'c-7-0')).toBeUndefined();
    } finally {
      twice.disconnect();
    }
  });

  it('shows a lane held by a retrying commit, with its attempt and last error', async () => {
    let heldSince = 0;
    await workers([2, 3], (j) => {
      if (j.lane === 3) return Promise.resolve({ kind: 'delivered' });
      const attempt = (j.retry?.attempt ?? 0) + 1;
      heldSince ||= Date.now();
      return Promise.resolve({
        kind: 'retry',
        delayMs: 60_000,
        progress: { attempt, lastError: 'broker down', nextTryAt: Date.now() + 60_000, heldSince },
      });
    });
    await enqueuer.enqueue(job(2, 0));
    await enqueuer.enqueue(job(2, 1));
    await enqueuer.enqueue(job(3, 0));

    const held = await waitFor(
      async () => {
        const { held: lanes } = await readLaneStates(producer, space.prefix, [2, 3]);
        return lanes.length > 0 ? lanes : undefined;
      },
      { description: 'lane 2 to be held' },
    );
    expect(held).toEqual([
      {
        lane: 2,
        jobId: 'c-2-0',
        attempt: 1,
        lastError: 'broker down',
        nextTryAt: expect.any(Number) as number,
        heldSince,
      },
    ]);
    expect(held[0]!.nextTryAt).toBeGreaterThan(Date.now());
  });

  it('still shows a lane held, and how long, while its retrying commit is being tried', async () => {
    const heldSince = Date.now() - 60_000;
    let tries = 0;
    let release: () => void = () => undefined;
    await workers([2], () => {
      tries++;
      if (tries === 1) {
        return Promise.resolve({
          kind: 'retry',
          delayMs: 1,
          progress: { attempt: 1, lastError: 'broker down', nextTryAt: Date.now() + 1, heldSince },
        });
      }
      // Its next try takes long (a broker that does not answer): active, not waiting.
      return new Promise<LaneOutcome>(
        (resolve) => (release = () => resolve({ kind: 'delivered' })),
      );
    });
    try {
      await enqueuer.enqueue(job(2, 0));
      await waitFor(() => tries === 2, { description: 'the second try under way' });
      const { held, backlogs } = await readLaneStates(producer, space.prefix, [2]);
      expect(backlogs[0]).toMatchObject({ lane: 2, waiting: 0, active: 1 });
      // Held a minute: an alert on the lane's age keeps seeing it, try or no try.
      expect(backlogs[0]!.oldestWaitingAgeMs).toBeGreaterThanOrEqual(60_000);
      expect(held).toEqual([expect.objectContaining({ lane: 2, jobId: 'c-2-0', heldSince })]);
    } finally {
      release();
    }
  });

  it('keeps stall records, newest first, with where each job is now', async () => {
    await enqueuer.enqueue(job(4, 0));
    await recordStall(producer, space.prefix, {
      lane: 4,
      jobId: 'c-4-0',
      at: 1000,
      worker: 'host-a:17',
    });
    await recordStall(producer, space.prefix, {
      lane: 5,
      jobId: 'gone',
      at: 2000,
      worker: undefined,
    });

    expect(await stallRecords(producer, space.prefix)).toEqual([
      { lane: 5, jobId: 'gone', at: 2000, worker: undefined, state: 'unknown' },
      { lane: 4, jobId: 'c-4-0', at: 1000, worker: 'host-a:17', state: 'waiting' },
    ]);
    expect(await stallRecords(producer, space.prefix, 1)).toHaveLength(1);
  });

  it('re-drives a lane in the order its commits were accepted, not the order they failed in', async () => {
    const stop = await workers([5], () =>
      Promise.resolve({ kind: 'fail', reason: 'expired', message: 'broker down' }),
    );
    // In one turn: stored together (one flush), as a batch request or a replay's are, and within
    // the same millisecond of the clock.
    await Promise.all([0, 1, 2, 3].map((n) => enqueuer.enqueue(job(5, n))));
    await waitFor(async () => (await failedCount([5])) === 4, { description: '4 failures' });
    await stop();
    // As if the failing workers' clocks disagreed: the failed set holds them newest first.
    const lane5 = queue(5);
    const failedAt = Date.now();
    for (let n = 0; n < 4; n++) {
      await producer.zadd(lane5.toKey('failed'), failedAt - n * 1000, `c-5-${n}`);
      await producer.hset(lane5.toKey(`c-5-${n}`), 'finishedOn', String(failedAt - n * 1000));
    }
    expect(await redrive(producer, space.prefix, [5], { reason: 'expired' })).toEqual({
      redriven: 4,
      skipped: 0,
    });
    // Next to be delivered first.
    expect((await lane5.getWaiting()).map((j) => j.id)).toEqual([
      'c-5-0',
      'c-5-1',
      'c-5-2',
      'c-5-3',
    ]);
  });

  it("re-drives a lane in the order Redis stored its commits, whatever the ingests' clocks said", async () => {
    const stop = await workers([8], () =>
      Promise.resolve({ kind: 'fail', reason: 'expired', message: 'broker down' }),
    );
    for (let n = 0; n < 4; n++) await enqueuer.enqueue(job(8, n));
    await waitFor(async () => (await failedCount([8])) === 4, { description: '4 failures' });
    await stop();
    const lane8 = queue(8);
    // As if each was accepted by an ingest whose clock was a second behind the one before it's:
    // by accept time they are newest first.
    const acceptedAt = Date.now();
    for (let n = 0; n < 4; n++) {
      await producer.hset(lane8.toKey(`c-8-${n}`), 'timestamp', String(acceptedAt - n * 1000));
    }
    // Stored by a version before the lane's count of stores: no number, so it goes first.
    await producer.hdel(lane8.toKey('c-8-2'), ACCEPT_SEQUENCE_FIELD);
    expect(await redrive(producer, space.prefix, [8], { reason: 'expired' })).toEqual({
      redriven: 4,
      skipped: 0,
    });
    // Next to be delivered first.
    expect((await lane8.getWaiting()).map((j) => j.id)).toEqual([
      'c-8-2',
      'c-8-0',
      'c-8-1',
      'c-8-3',
    ]);
  });

  it('re-drives exactly the matching failed deliveries, to the end of their lanes', async () => {
    const stop = await workers([6, 7], failing);
    for (let n = 0; n < 4; n++) await enqueuer.enqueue(job(6, n));
    await enqueuer.enqueue(job(7, 0, { base64: '/w==' }));
    await enqueuer.enqueue(job(7, 2));
    await waitFor(async () => (await failedCount([6, 7])) === 6, { description: '6 failures' });
    await stop();
    // A newer commit waiting in lane 6: re-driven ones must arrive after it.
    await enqueuer.enqueue(job(6, 99));

    const now = Date.now();
    // Not old enough yet: nothing moves.
    expect(
      await redrive(
        producer,
        space.prefix,
        [6, 7],
        { reason: 'expired', olderThanMs: 60_000 },
        now,
      ),
    ).toEqual({ redriven: 0, skipped: 0 });
    // By bucket, in display form: only the commit with a non-UTF-8 bucket.
    expect(
      await redrive(
        producer,
        space.prefix,
        [6, 7],
        { reason: 'expired', bucket: 'base64:/w==' },
        now,
      ),
    ).toEqual({ redriven: 1, skipped: 0 });
    expect(await redrive(producer, space.prefix, [6, 7], { reason: 'expired' }, now)).toEqual({
      redriven: 3,
      skipped: 0,
    });

    const lane6 = queue(6);
    const lane7 = queue(7);
    // Waiting lists, next to be delivered first.
    const waiting6 = (await lane6.getWaiting()).map((j) => j.id);
    expect(waiting6).toEqual(['c-6-99', 'c-6-0', 'c-6-2']);
    const waiting7 = (await lane7.getWaiting()).map((j) => j.id).sort();
    expect(waiting7).toEqual(['c-7-0', 'c-7-2']);
    expect((await lane6.getFailed()).map((j) => j.id).sort()).toEqual(['c-6-1', 'c-6-3']);

    const redriven = await lane6.getJob('c-6-0');
    expect(redriven?.data.redrivenAt).toBe(new Date(now).toISOString());
    expect(redriven?.progress).toEqual({});
    // One job by id, whatever its reason.
    expect(await redrive(producer, space.prefix, [6, 7], { jobId: 'c-6-3' }, now)).toEqual({
      redriven: 1,
      skipped: 0,
    });

    // They go through once a worker delivers again.
    const delivered: string[] = [];
    await workers([6, 7], (j) => {
      delivered.push(j.id);
      return Promise.resolve({ kind: 'delivered' });
    });
    await waitFor(() => delivered.length === 6, { description: 'the re-driven deliveries' });
    expect(delivered.filter((id) => id.startsWith('c-6-'))).toEqual([
      'c-6-99',
      'c-6-0',
      'c-6-2',
      'c-6-3',
    ]);
  });

  it('gives a re-driven commit a fresh start: no retry progress, no count of earlier stalls', async () => {
    const stop = await workers([13], failing);
    await enqueuer.enqueue(job(13, 0));
    await waitFor(async () => (await failedCount([13])) === 1, { description: 'the failure' });
    await stop();
    // As BullMQ counts a job whose worker died holding it (moveStalledJobsToWait).
    const key = `${space.prefix}:${laneQueueName(13)}:c-13-0`;
    await producer.hset(key, 'stc', 3);
    expect((await queue(13).getJob('c-13-0'))?.stalledCounter).toBe(3);

    expect(await redrive(producer, space.prefix, [13], { jobId: 'c-13-0' }, Date.now())).toEqual({
      redriven: 1,
      skipped: 0,
    });
    const redriven = await queue(13).getJob('c-13-0');
    expect(redriven?.stalledCounter).toBe(0);
    expect(redriven?.progress).toEqual({});
  });

  it('moves a failed job back whole or not at all when its connection is lost mid-way', async () => {
    const stop = await workers([14], failing);
    await enqueuer.enqueue(job(14, 0));
    await waitFor(async () => (await failedCount([14])) === 1, { description: 'the failure' });
    await stop();
    const key = `${space.prefix}:${laneQueueName(14)}:c-14-0`;
    const retrying = { attempt: 3, lastError: 'broker down' };
    await producer.hset(key, 'progress', JSON.stringify(retrying));

    // Every command after the re-drive's first script that names the lane's failed set fails,
    // as on a connection lost right after it: a re-drive in two calls (rewrite the job, then
    // move it) left it failed but rewritten, its retry record gone.
    const cutting = createRedisConnection({ url: space.redisUrl, role: 'producer', onError() {} });
    lanesSpace.onClose(() => Promise.resolve(cutting.disconnect()));
    await whenFirstConnected(cutting, 10_000);
    const failedSet = `${space.prefix}:${laneQueueName(14)}:failed`;
    const send = cutting.sendCommand.bind(cutting);
    let cut = false;
    cutting.sendCommand = ((command: Command, stream?: Parameters<typeof send>[1]) => {
      if (cut) {
        command.reject(new Error('Connection is closed.'));
        return command.promise;
      }
      const script = command.name === 'evalsha' || command.name === 'eval';
      if (script && String(command.args[2]) === failedSet) cut = true;
      return send(command, stream);
    }) as typeof cutting.sendCommand;
    await redrive(cutting, space.prefix, [14], { jobId: 'c-14-0' }, Date.now()).catch(
      () => undefined,
    );
    expect(cut).toBe(true);

    const after = await queue(14).getJob('c-14-0');
    const state = await queue(14).getJobState('c-14-0');
    const whole = { state: 'waiting', redriven: true, progress: {} };
    const untouched = { state: 'failed', redriven: false, progress: retrying };
    expect([whole, untouched]).toContainEqual({
      state,
      redriven: after?.data.redrivenAt !== undefined,
      progress: after?.progress,
    });
  });

  it('counts as re-driven a job whose re-drive ran twice: its reply lost, the script sent again', async () => {
    const stop = await workers([15], failing);
    await enqueuer.enqueue(job(15, 0));
    await waitFor(async () => (await failedCount([15])) === 1, { description: 'the failure' });
    await stop();
    // Each re-drive script is run once more just before it goes, as when ioredis sends again a
    // command whose connection was lost after Redis ran it: the second run finds the job moved.
    const twice = createRedisConnection({ url: space.redisUrl, role: 'producer', onError() {} });
    lanesSpace.onClose(() => Promise.resolve(twice.disconnect()));
    await whenFirstConnected(twice, 10_000);
    const failedSet = `${space.prefix}:${laneQueueName(15)}:failed`;
    const ranTwice = runScriptsTwice(twice, producer, failedSet);
    expect(await redrive(twice, space.prefix, [15], { jobId: 'c-15-0' })).toEqual({
      redriven: 1,
      skipped: 0,
    });
    expect(ranTwice()).toBe(1);
    expect(await queue(15).getJobState('c-15-0')).toBe('waiting');
  });

  it('counts a re-driven commit as waiting since its re-drive, not since it was accepted', async () => {
    const stop = await workers([10], failing);
    await enqueuer.enqueue(job(10, 0));
    await waitFor(async () => (await failedCount([10])) === 1, { description: 'the failure' });
    await stop();
    // Re-driven an hour after it was accepted, and read a second after that.
    const hourLater = Date.now() + 3_600_000;
    expect(await redrive(producer, space.prefix, [10], { jobId: 'c-10-0' }, hourLater)).toEqual({
      redriven: 1,
      skipped: 0,
    });
    const [lane] = await readLaneBacklogs(producer, space.prefix, [10], () => hourLater + 1000);
    expect(lane).toMatchObject({ waiting: 1, oldestWaitingAgeMs: 1000 });
  });

  it("reads a lane's head without its data: a re-drive's time from the data's end", async () => {
    const stop = await workers([13], failing);
    const big = job(13, 0);
    big.commit.siblings = [{ value: Buffer.alloc(1_000_000, 7).toString('base64') }];
    await enqueuer.enqueue(big);
    await waitFor(async () => (await failedCount([13])) === 1, { description: 'the failure' });
    await stop();
    const hourLater = Date.now() + 3_600_000;
    await redrive(producer, space.prefix, [13], { jobId: 'c-13-0' }, hourLater);
    const reading = createRedisConnection({ url: space.redisUrl, role: 'producer', onError() {} });
    lanesSpace.onClose(() => Promise.resolve(reading.disconnect()));
    await whenFirstConnected(reading, 10_000);
    const replyBytes = countReplyBytes(reading);
    const { backlogs } = await readLaneStates(reading, space.prefix, [13], () => hourLater + 1000);
    expect(backlogs[0]).toMatchObject({ waiting: 1, oldestWaitingAgeMs: 1000 });
    // The 1.3 MB of its data stayed in Redis (read whole, it was all of the reply).
    expect(replyBytes()).toBeLessThan(20_000);
  });

  it('gives no age for a head whose job is gone (an id left in the wait list)', async () => {
    await whenFirstConnected(producer, 10_000);
    await producer.rpush(queue(14).toKey('wait'), 'ghost');
    const [lane] = await readLaneBacklogs(producer, space.prefix, [14]);
    expect(lane).toMatchObject({ waiting: 1, oldestWaitingAgeMs: undefined });
  });

  it("says how long ago each lane's oldest failure failed, and nothing for a lane with none", async () => {
    const stop = await workers([11], failing);
    await enqueuer.enqueue(job(11, 0));
    await waitFor(async () => (await failedCount([11])) === 1, { description: 'the failure' });
    await enqueuer.enqueue(job(11, 2));
    await waitFor(async () => (await failedCount([11])) === 2, { description: 'the second' });
    await stop();
    const [first] = await queue(11).getJobs(['failed'], 0, 0, true);
    const failedAt = first!.finishedOn!;
    expect(first!.id).toBe('c-11-0');

    const [lane, none] = await readLaneBacklogs(
      producer,
      space.prefix,
      [11, 12],
      () => failedAt + 86_400_000,
    );
    expect(lane).toMatchObject({ failed: 2, oldestFailedAgeMs: 86_400_000 });
    expect(none!.oldestFailedAgeMs).toBeUndefined();
  });

  it('leaves a delivery alone that another re-drive handed back while this one was reading', async () => {
    const stop = await workers([8], failing);
    await enqueuer.enqueue(job(8, 0));
    await waitFor(async () => (await failedCount([8])) === 1, { description: 'the failure' });
    await stop();
    const lane8 = queue(8);
    const jobKey = lane8.toKey('c-8-0');
    // A second click's re-drive has listed c-8-0 as failed; before it reads the job, the first
    // click re-drives it and a worker's first try fails, leaving its retry progress.
    const retrying = { attempt: 1, nextTryAt: Date.now() + 60_000, heldSince: Date.now() };
    const readJob = producer.hgetall.bind(producer);
    let raced = false;
    producer.hgetall = async (key: string) => {
      if (key === jobKey && !raced) {
        raced = true;
        expect(await redrive(producer, space.prefix, [8], { jobId: 'c-8-0' })).toEqual({
          redriven: 1,
          skipped: 0,
        });
        await producer.hset(jobKey, 'progress', JSON.stringify(retrying));
      }
      return readJob(key);
    };
    try {
      expect(await redrive(producer, space.prefix, [8], { jobId: 'c-8-0' }, 1)).toEqual({
        redriven: 0,
        skipped: 1,
      });
    } finally {
      producer.hgetall = readJob;
    }
    expect(raced).toBe(true);
    const after = await lane8.getJob('c-8-0');
    expect(after?.progress).toEqual(retrying);
    expect(after?.data.redrivenAt).not.toBe(new Date(1).toISOString());
    expect(await lane8.getJobState('c-8-0')).toBe('waiting');
  });

  it('re-drives the failure it matched, not the next one of a job re-driven meanwhile', async () => {
    const stop = await workers([8], failing);
    await enqueuer.enqueue(job(8, 0));
    await waitFor(async () => (await failedCount([8])) === 1, { description: 'the failure' });
    const lane8 = queue(8);
    const jobKey = lane8.toKey('c-8-0');
    // As far as the re-drive below can tell, it failed two days ago.
    const twoDaysAgo = Date.now() - 2 * 86_400_000;
    await producer.zadd(lane8.toKey('failed'), twoDaysAgo, 'c-8-0');
    await producer.hset(jobKey, 'finishedOn', twoDaysAgo);
    const readJob = producer.hgetall.bind(producer);
    let raced = false;
    let firstRedrive: string | undefined;
    producer.hgetall = async (key: string) => {
      if (key === jobKey && !raced) {
        raced = true;
        // Between its listing and its move, the dashboard re-drives it and it fails again.
        expect(await redrive(producer, space.prefix, [8], { jobId: 'c-8-0' })).toEqual({
          redriven: 1,
          skipped: 0,
        });
        firstRedrive = (await lane8.getJob('c-8-0'))?.data.redrivenAt;
        await waitFor(
          async () =>
            (await lane8.getJobState('c-8-0')) === 'failed' &&
            Number(await producer.hget(jobKey, 'finishedOn')) > twoDaysAgo,
          { description: 'its failure after the re-drive' },
        );
      }
      return readJob(key);
    };
    try {
      // It matched (its listed failure is two days old), and only that failure could go back.
      expect(await redrive(producer, space.prefix, [8], { olderThanMs: 86_400_000 })).toEqual({
        redriven: 0,
        skipped: 1,
      });
    } finally {
      producer.hgetall = readJob;
      await stop();
    }
    expect(raced).toBe(true);
    expect(firstRedrive).toMatch(/^\d{4}-/);
    // Re-driven once: its data still holds the first re-drive's time.
    expect((await lane8.getJob('c-8-0'))?.data.redrivenAt).toBe(firstRedrive);
    expect(await lane8.getJobState('c-8-0')).toBe('failed');
  });

  it('counts a failed job read twice while paging (it failed again meanwhile) once', async () => {
    const stop = await workers([8], failing);
    await enqueuer.enqueue(job(8, 0));
    await enqueuer.enqueue(job(8, 2));
    await waitFor(async () => (await failedCount([8])) === 2, { description: 'two failures' });
    await stop();
    const lane8 = queue(8);
    const failedKey = lane8.toKey('failed');
    // A page lists a thousand: failures whose jobs are gone (past their retention, re-driven
    // elsewhere) fill the first page without a thousand real ones; they are listed, never moved.
    const last = Number(await producer.zscore(failedKey, 'c-8-2'));
    const gone = Array.from({ length: 999 }, (_, i) => [last + (i + 1) / 1000, `gone-${i}`]);
    await producer.zadd(failedKey, ...gone.flat());
    // Once the first page is listed, c-8-0 is re-driven elsewhere and fails again: it moves
    // past the page's end in the failed set, where the next page lists it again.
    const listFailed = producer.zrangebyscore.bind(producer) as unknown as (
      ...args: (string | number)[]
    ) => Promise<string[]>;
    const listings: string[][] = [];
    (producer as unknown as { zrangebyscore: typeof listFailed }).zrangebyscore = async (
      ...args
    ) => {
      const reply = await listFailed(...args);
      if (args[0] === failedKey) {
        listings.push(reply.filter((_, i) => i % 2 === 0));
        if (listings.length === 1) {
          const again = Date.now() + 1000;
          await producer.zadd(failedKey, again, 'c-8-0');
          await producer.hset(lane8.toKey('c-8-0'), 'finishedOn', again);
        }
      }
      return reply;
    };
    try {
      expect(await redrive(producer, space.prefix, [8], { reason: 'expired' })).toEqual({
        redriven: 2,
        skipped: 0,
      });
    } finally {
      (producer as unknown as { zrangebyscore: typeof listFailed }).zrangebyscore = listFailed;
    }
    // Read twice: on the first page and, moved, on the second.
    expect(listings).toHaveLength(2);
    expect(listings[0]?.slice(0, 2)).toEqual(['c-8-0', 'c-8-2']);
    expect(listings[1]?.at(-1)).toBe('c-8-0');
    expect((await lane8.getWaiting()).map((j) => j.id).sort()).toEqual(['c-8-0', 'c-8-2']);
  });

  it('filters by bucket past a failed job that has no commit data, which matches no bucket', async () => {
    const stop = await workers([9], failing);
    await enqueuer.enqueue(job(9, 0));
    await enqueuer.enqueue(job(9, 2));
    await waitFor(async () => (await failedCount([9])) === 2, { description: '2 failures' });
    await stop();
    const lane9 = queue(9);
    await producer.hset(lane9.toKey('c-9-0'), 'data', '{}');
    expect(await redrive(producer, space.prefix, [9], { bucket: 'b' })).toEqual({
      redriven: 1,
      skipped: 0,
    });
    expect((await lane9.getWaiting()).map((j) => j.id)).toEqual(['c-9-2']);
  });

  it('re-drives a failed job whose options and progress in Redis do not parse, mended first', async () => {
    const stop = await workers([6], failing);
    await enqueuer.enqueue(job(6, 0));
    await enqueuer.enqueue(job(6, 2));
    await waitFor(async () => (await failedCount([6])) === 2, { description: '2 failures' });
    await stop();
    // A hand edit: BullMQ throws as it reads these, which stopped the re-drive there.
    await producer.hset(queue(6).toKey('c-6-0'), 'opts', 'null', 'progress', '{oops');
    expect(await redrive(producer, space.prefix, [6], { reason: 'expired' })).toEqual({
      redriven: 2,
      skipped: 0,
    });
    expect((await queue(6).getWaiting()).map((j) => j.id).sort()).toEqual(['c-6-0', 'c-6-2']);
    expect(JSON.parse((await producer.hget(queue(6).toKey('c-6-0'), 'opts'))!)).toMatchObject({
      jobId: 'c-6-0',
      removeOnComplete: true,
    });
  });

  it('filters by bucket type, which Riak names a bucket by with its name', async () => {
    const stop = await workers([12], failing);
    await enqueuer.enqueue(job(12, 0));
    await enqueuer.enqueue({
      ...job(12, 1),
      commit: { ...job(12, 1).commit, bucketType: 'maps' },
    });
    await waitFor(async () => (await failedCount([12])) === 2, { description: '2 failures' });
    await stop();
    // The same bucket name under two types: --bucket alone would take both.
    expect(
      await redrive(producer, space.prefix, [12], { bucket: 'b', bucketType: 'maps' }),
    ).toEqual({ redriven: 1, skipped: 0 });
    expect((await queue(12).getWaiting()).map((j) => j.id)).toEqual(['c-12-1']);
    expect(await redrive(producer, space.prefix, [12], { bucketType: 'default' })).toEqual({
      redriven: 1,
      skipped: 0,
    });
  });
});
