// The replica wait of an enqueuer (REDIS_WAIT_REPLICAS) on a real primary and replica, each a
// redis-server of the test's own. Two enqueuers on two connections are two ingest processes.
import {
  redisCliOn,
  startReplicatedRedis,
  uniqueName,
  type PrivateRedis,
} from '@commitlog/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CommitJobData } from './commit-job.ts';
import { createCommitEnqueuer, type CommitEnqueuer } from './commit-enqueuer.ts';
import { QueueUnavailableError } from './queue-errors.ts';
import { createRedisConnection, type RedisConnection } from './redis-connection.ts';

function job(id: string): CommitJobData {
  return {
    id,
    lane: 3,
    commit: { bucketType: 'default', bucket: 'b', key: id, op: 'delete', siblings: [] },
    receivedAt: '2026-12-05T12:00:00.000Z',
  };
}

describe('an enqueuer that waits for a replica', () => {
  let primary: PrivateRedis;
  let replica: PrivateRedis;
  const closers: (() => Promise<unknown> | void)[] = [];

  beforeAll(async () => {
    ({ primary, replica } = await startReplicatedRedis());
  });

  afterEach(async () => {
    const pid = replica?.pid();
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
    for (const close of closers.splice(0).reverse()) await close();
  });

  afterAll(async () => {
    await replica?.cleanup();
    await primary?.cleanup();
  });

  function enqueuer(prefix: string): CommitEnqueuer {
    const connection: RedisConnection = createRedisConnection({
      url: primary.url,
      role: 'producer',
      onError: () => {},
    });
    const e = createCommitEnqueuer({
      connection,
      prefix,
      maxLaneBacklog: 1000,
      lanes: 16,
      replicas: { count: 1, timeoutMs: 1000 },
    });
    closers.push(() => connection.disconnect());
    closers.push(() => e.close());
    return e;
  }

  it('refuses a commit that another connection stored until the replica holds it', async () => {
    const prefix = uniqueName('replica-wait');
    const first = enqueuer(prefix);
    const second = enqueuer(prefix);
    // Both have stored before: each connection has a last write of its own.
    expect(await first.enqueue(job('a'))).toMatchObject({ duplicate: false });
    expect(await second.enqueue(job('b'))).toMatchObject({ duplicate: false });

    const pid = replica.pid()!;
    process.kill(pid, 'SIGSTOP');
    const refused = await first.enqueue(job('held')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueueUnavailableError);
    expect((refused as Error).message).toMatch(/0 of the 1 replicas/);
    // The other connection finds it stored, with a read; its own last write is older than the
    // commit. Redis documents WAIT as waiting for the connection's writes (7.0, here, in fact
    // waits past any command's), so the store writes a key of its own before it waits.
    const ownWrite = `${prefix}:{lane-0003}:replica-wait`;
    expect(redisCliOn(primary.port, 'DEL', ownWrite)).toBe('1');
    const elsewhere = await second.enqueue(job('held')).catch((e: unknown) => e);
    expect(elsewhere).toBeInstanceOf(QueueUnavailableError);
    expect((elsewhere as Error).message).toMatch(/0 of the 1 replicas/);
    expect(Number(redisCliOn(primary.port, 'PTTL', ownWrite))).toBeGreaterThan(0);

    process.kill(pid, 'SIGCONT');
    expect(await second.enqueue(job('held'))).toMatchObject({ duplicate: true });
  });
});
