import { ACCEPT_SEQUENCE_FIELD } from './accept-sequence.ts';
import { createTestQueuePrefix, startPrivateRedis, type TestQueuePrefix } from '@commitlog/testkit';
import type { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitJobOptions, type CommitJobData } from './commit-job.ts';
import { DELIVERED_MARK } from './delivered-mark-names.ts';
import { createLaneStore, type LaneStoreJob } from './lane-store.ts';
import { createRedisConnection } from './redis-connection.ts';
import { openLaneQueue } from './with-lane-queue.ts';

function laneJob(id: string, timestamp: number): LaneStoreJob {
  const data: CommitJobData = {
    id,
    lane: 5,
    commit: { bucketType: 'default', bucket: 'b', key: id, op: 'delete', siblings: [] },
    receivedAt: '2026-12-06T04:00:00.000Z',
  };
  return { data, opts: { ...commitJobOptions(id), timestamp } };
}

describe('a lane store on the real Redis', () => {
  let space: TestQueuePrefix;
  let queue: Queue;

  beforeEach(async () => {
    space = createTestQueuePrefix();
    queue = openLaneQueue(space.redis, space.prefix, 5);
    await queue.waitUntilReady();
  });

  afterEach(async () => {
    await queue.close();
    await space.cleanup();
  });

  const options = (maxLaneBacklog = 1000) => ({
    prefix: space.prefix,
    maxLaneBacklog,
    expectLanes: undefined,
  });

  it('stores a job as BullMQ stores it, field for field', async () => {
    const store = createLaneStore(space.redis);
    const ours = laneJob('ours', 1_700_000_000_001);
    const theirs = laneJob('theirs', 1_700_000_000_001);
    expect(await store.store(queue, [ours], options())).toEqual([{ kind: 'added' }]);
    await queue.add('commit', theirs.data, theirs.opts);
    const fields = async (id: string) => {
      const hash = await space.redis.hgetall(queue.toKey(id));
      return { ...hash, data: JSON.parse(hash.data ?? 'null') as CommitJobData };
    };
    const [a, b] = await Promise.all([fields('ours'), fields('theirs')]);
    // The same but for the id, in the data and in the options, and the lane's count of stores.
    expect(a).toEqual({
      ...b,
      [ACCEPT_SEQUENCE_FIELD]: '1',
      data: { ...b.data, id: 'ours', commit: { ...b.data.commit, key: 'ours' } },
      opts: (b as { opts?: string }).opts?.replace('"jobId":"theirs"', '"jobId":"ours"'),
    });
    expect(await queue.getJobState('ours')).toBe('waiting');
  });

  it('keeps order and the backlog limit across the scripts of a large store, and skips commits stored or delivered', async () => {
    const store = createLaneStore(space.redis);
    expect(await store.store(queue, [laneJob('j-0', 1)], options())).toEqual([{ kind: 'added' }]);
    await space.redis.set(queue.toKey(`${DELIVERED_MARK}j-1`), '1');
    const jobs = Array.from({ length: 250 }, (_, i) => laneJob(`j-${i}`, 10 + i));
    const evalsha = space.redis.evalsha.bind(space.redis);
    let scripts = 0;
    space.redis.evalsha = ((...args: Parameters<typeof evalsha>) => {
      scripts++;
      return evalsha(...args);
    }) as typeof space.redis.evalsha;
    const outcomes = await store.store(queue, jobs, options(200));
    // 100 commits a script, the third running out of room.
    expect(scripts).toBe(3);
    expect(outcomes.slice(0, 2)).toEqual([{ kind: 'duplicate' }, { kind: 'duplicate' }]);
    // 1 waiting before, 199 added (j-2 to j-200), the rest refused at the limit.
    expect(outcomes.slice(2, 201).every((o) => o.kind === 'added')).toBe(true);
    expect(outcomes.slice(201)).toEqual(
      Array.from({ length: 49 }, () => ({ kind: 'full', backlog: 200 })),
    );
    const waiting = await queue.getWaiting(0, -1);
    expect(waiting.map((j) => j.id)).toEqual([
      'j-0',
      ...Array.from({ length: 199 }, (_, i) => `j-${i + 2}`),
    ]);
  });

  it('sends a script of a large store only once the one before it stored its share: a refused one refuses the rest', async () => {
    const store = createLaneStore(space.redis);
    // The first script goes in full (EVAL); the ones after by SHA-1.
    expect(await store.store(queue, [laneJob('first', 1)], options())).toEqual([{ kind: 'added' }]);
    const evalsha = space.redis.evalsha.bind(space.redis);
    let calls = 0;
    space.redis.evalsha = ((...args: Parameters<typeof evalsha>) => {
      calls++;
      if (calls === 1) return Promise.reject(new Error('READONLY a refusal of the moment'));
      return evalsha(...args);
    }) as typeof space.redis.evalsha;
    const jobs = Array.from({ length: 150 }, (_, i) => laneJob(`r-${i}`, 10 + i));
    const outcomes = await store.store(queue, jobs, options());
    expect(outcomes.every((o) => o.kind === 'refused')).toBe(true);
    expect(calls).toBe(1);
    expect((await queue.getWaiting(0, -1)).map((j) => j.id)).toEqual(['first']);
  });

  it("keeps a lane's later store out of an earlier one's scripts", async () => {
    const store = createLaneStore(space.redis);
    const large = Array.from({ length: 150 }, (_, i) => laneJob(`big-${i}`, 10 + i));
    const [big, small] = await Promise.all([
      store.store(queue, large, options()),
      store.store(queue, [laneJob('later', 500)], options()),
    ]);
    expect([...big, ...small].every((o) => o.kind === 'added')).toBe(true);
    expect((await queue.getWaiting(0, -1)).map((j) => j.id)).toEqual([
      ...large.map((j) => j.opts.jobId),
      'later',
    ]);
  });

  it('refuses a store whose script Redis no longer knows, never sending it again, and sends the next in full', async () => {
    // A Redis of its own: SCRIPT FLUSH on the shared one would pull scripts from under other tests.
    const redis = await startPrivateRedis();
    const conn = createRedisConnection({ url: redis.url, role: 'producer', onError: () => {} });
    const own = openLaneQueue(conn, 'p', 5);
    try {
      const store = createLaneStore(conn);
      const at = (maxLaneBacklog: number) => ({ prefix: 'p', maxLaneBacklog, expectLanes: 16 });
      expect(await store.store(own, [laneJob('a', 1)], at(100))).toEqual([{ kind: 'added' }]);
      expect(await store.store(own, [laneJob('b', 2)], at(100))).toEqual([{ kind: 'added' }]);
      await conn.script('FLUSH');
      const [refused] = await store.store(own, [laneJob('c', 3)], at(100));
      expect(refused?.kind).toBe('refused');
      expect(String((refused as { error: unknown }).error)).toMatch(/NOSCRIPT/);
      expect(await store.store(own, [laneJob('d', 4)], at(100))).toEqual([{ kind: 'added' }]);
      expect((await own.getWaiting(0, -1)).map((j) => j.id)).toEqual(['a', 'b', 'd']);
    } finally {
      await own.close();
      conn.disconnect();
      await redis.cleanup();
    }
  });

  it("sends a lane's first script in full, and again after a new connection, by its SHA-1 otherwise", async () => {
    const store = createLaneStore(space.redis);
    const other = openLaneQueue(space.redis, space.prefix, 6);
    const sent: string[] = [];
    const sendCommand = space.redis.sendCommand.bind(space.redis);
    space.redis.sendCommand = ((command: Parameters<typeof sendCommand>[0], stream?: never) => {
      if (command.name.startsWith('eval')) sent.push(command.name);
      return sendCommand(command, stream);
    }) as typeof space.redis.sendCommand;
    try {
      await store.store(queue, [laneJob('l5-a', 1)], options());
      await store.store(queue, [laneJob('l5-b', 2)], options());
      // Lane 6 may live on another node of a Redis Cluster, which has never run the script.
      await store.store(other, [laneJob('l6-a', 3)], options());
      space.redis.disconnect(true);
      await space.redis.ping();
      await store.store(queue, [laneJob('l5-c', 4)], options());
      expect(sent).toEqual(['eval', 'evalsha', 'eval', 'eval']);
    } finally {
      await other.close();
    }
  });

  it('stores in the order the stores began while BullMQ is still setting up its first queue', async () => {
    // A connection on which BullMQ has defined nothing yet, as at an ingest's start.
    const fresh = createRedisConnection({
      url: space.redisUrl,
      role: 'producer',
      onError: () => {},
    });
    const freshQueue = openLaneQueue(fresh, space.prefix, 5);
    try {
      const store = createLaneStore(fresh);
      const first = store.store(freshQueue, [laneJob('v1', 1)], options());
      // BullMQ defines its scripts on the connection before its queue is ready (it asks Redis
      // for its version after that): a store beginning then must still go after the first.
      const defined = () =>
        Object.keys((fresh as unknown as { scriptsSet?: object }).scriptsSet ?? {});
      while (!defined().some((name) => name.startsWith('addStandardJob:'))) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      const second = store.store(freshQueue, [laneJob('v2', 2)], options());
      expect(await Promise.all([first, second])).toEqual([
        [{ kind: 'added' }],
        [{ kind: 'added' }],
      ]);
      expect((await queue.getWaiting(0, -1)).map((j) => j.id)).toEqual(['v1', 'v2']);
    } finally {
      await freshQueue.close();
      fresh.disconnect();
    }
  });
});
