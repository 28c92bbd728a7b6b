// After Kafka's ack, the worker marks what it delivered (the lane's active job and the followers
// it sent in the same produce request) with a script of its own, sent beside BullMQ's completion
// and not waited for. When Redis refuses that script, BullMQ still completes the active job, and
// the followers stay waiting with no mark: they are delivered again. Duplicates on Kafka, in
// their order, never a commit lost. Redis refuses it here by ACL: the worker's user may run
// scripts by their hash (EVALSHA: BullMQ's, and every other script of the worker, once loaded)
// but no longer in full (EVAL), which is how the marks' script is always sent.
import { defaultTopic } from '@commitlog/core';
import { createRedisConnection, type RedisConnection } from '@commitlog/queue';
import {
  putCommit,
  startSystem,
  testKafkaBrokers,
  testRedisUrl,
  uniqueName,
  waitFor,
  type RunningSystem,
} from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unfinishedJobs } from './support/delivery-oracle.ts';
import { header, readUntil, withAdmin } from './support/kafka-check.ts';

const LANES = 4;

describe("a Redis that refuses the worker's delivered marks", () => {
  const user = uniqueName('markless');
  const password = uniqueName('pw');
  const bucket = uniqueName('marks');
  const topic = defaultTopic('default', bucket);
  let admin: RedisConnection;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    admin = createRedisConnection({ url: testRedisUrl(), role: 'worker', onError: () => {} });
    await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all');
    const workerUrl = new URL(testRedisUrl());
    workerUrl.username = user;
    workerUrl.password = password;
    await withAdmin(testKafkaBrokers(), (a) => a.createTopic(topic, { partitions: 1 }));
    system = await startSystem({
      env: { LANES: String(LANES) },
      workerEnv: { REDIS_URL: workerUrl.toString() },
    });
  });

  afterAll(async () => {
    await system?.stop();
    await admin?.call('ACL', 'DELUSER', user).catch(() => undefined);
    admin?.disconnect();
    if (system) await withAdmin(system.kafkaBrokers, (a) => a.deleteTopics([topic]));
  });

  it('delivers the followers again, in order: duplicates, none lost', async () => {
    const running = system!;
    // One delivery with every script allowed: Redis then knows each of the worker's scripts by
    // its hash, and only what is sent in full is refused from here on.
    const warm = await running.post(putCommit({ bucket, key: 'warm', value: 'v' }));
    expect(warm.status).toBe(202);
    const warmId = (warm.body as { id: string }).id;
    await readUntil(running.kafkaBrokers, [topic], (rs) =>
      rs.some((r) => header(r, 'commitlog-id') === warmId),
    );
    await admin.call('ACL', 'SETUSER', user, '-eval');

    // One batch, one key: stored at once, so the job the worker takes first has the others
    // waiting behind it, which it sends with it as its followers.
    const commits = Array.from({ length: 5 }, (_, n) =>
      putCommit({ bucket, key: 'k', value: `v${n}` }),
    );
    const answer = await running.post({ commits }, { path: '/v1/commits/batch' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const ids = (answer.body as { results: { id: string }[] }).results.map((r) => r.id);
    expect(ids).toHaveLength(5);

    await waitFor(
      async () => {
        const jobs = await unfinishedJobs(running, LANES);
        return jobs.waiting + jobs.active === 0 ? jobs : undefined;
      },
      { timeoutMs: 60_000, description: 'every lane to be empty' },
    );
    const records = await readUntil(running.kafkaBrokers, [topic], (rs) =>
      ids.every((id) => rs.some((r) => header(r, 'commitlog-id') === id)),
    );
    const delivered = records
      .map((r) => header(r, 'commitlog-id'))
      .filter((id): id is string => id !== undefined && ids.includes(id));

    // None lost, and none failed.
    expect(new Set(delivered)).toEqual(new Set(ids));
    expect((await unfinishedJobs(running, LANES)).failed).toBe(0);
    // Delivered again: the refused marks left the followers waiting.
    expect(delivered.length).toBeGreaterThan(ids.length);
    // In their order, every time: each delivery is an in-order run of the batch's commits.
    expect([...new Set(delivered)]).toEqual(ids);
    for (let i = 1; i < delivered.length; i++) {
      const previous = ids.indexOf(delivered[i - 1]!);
      const current = ids.indexOf(delivered[i]!);
      expect(current === previous + 1 || current <= previous).toBe(true);
    }
    // And the worker said what happened, and why.
    expect(running.workers[0]!.output()).toMatch(
      /"type":"DeliveryNotRecordedError","message":"job [0-9a-f]+ is on Kafka with \d+ followers, but its delivery could not be recorded in Redis \(NOPERM/,
    );
  });
});
