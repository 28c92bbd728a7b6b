// REDIS_WAIT_REPLICAS: the ingest answers 202 only once the Redis's replica holds the commit
// (Redis WAIT). With the replica frozen (SIGSTOP), the commit is refused 503, though stored in
// the primary: a failover then would lose it. Once the replica is back, the hook's retry is
// answered 202 as a duplicate. With fewer replicas than it waits for, the ingest is not ready.
// A real primary and replica, each a redis-server of the test's own.
import {
  putCommit,
  startReplicatedRedis,
  startSystem,
  uniqueName,
  waitFor,
} from '@commitlog/testkit';
import type { PrivateRedis, RunningSystem } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('an ingest asked to wait for a replica', () => {
  let primary: PrivateRedis;
  let replica: PrivateRedis;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    ({ primary, replica } = await startReplicatedRedis());
  });

  afterAll(async () => {
    const pid = replica?.pid();
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
    await system?.stop();
    await replica?.cleanup();
    await primary?.cleanup();
  });

  it('answers 202 once the replica holds a commit, and 503 while it cannot', async () => {
    system = await startSystem({
      redisUrl: primary.url,
      workers: 0,
      ingestEnv: { REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT: '2s' },
    });
    const bucket = uniqueName('replicated');
    const first = await system.post(putCommit({ bucket, key: 'a', value: 'v' }));
    expect(first.status).toBe(202);

    const pid = replica.pid()!;
    process.kill(pid, 'SIGSTOP');
    let refused;
    const held = putCommit({ bucket, key: 'b', value: 'v' });
    try {
      refused = await system.post(held);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(refused.status).toBe(503);
    // The node's address is for the log: a client is told how many, not where.
    expect(JSON.stringify(refused.body)).toContain(
      '0 of the 1 replicas that REDIS_WAIT_REPLICAS asks for acknowledged the store',
    );
    expect(JSON.stringify(refused.body)).not.toContain(`:${primary.port}`);

    // Stored all the same: the retry finds it, and answers once the replica has it.
    const retried = await waitFor(
      async () => {
        const answer = await system!.post(held);
        return answer.status === 202 ? answer : undefined;
      },
      { timeoutMs: 20_000, description: 'the retry answered 202' },
    );
    expect(retried.body).toMatchObject({ duplicate: true });
    // Counted as what they were: two commits stored new (the refused one was stored all the
    // same), and the retry's duplicate.
    const metrics = await (await fetch(`${system.ingestUrl}/metrics`)).text();
    expect(metrics).toMatch(/^commitlog_ingest_commits_accepted_total\{service="ingest"\} 2$/m);
    expect(metrics).toMatch(
      /^commitlog_ingest_commits_duplicate_total\{service="ingest"\} [1-9]\d*$/m,
    );
  });

  it('is not ready while the primary has fewer replicas than every store waits for', async () => {
    const short = await startSystem({
      redisUrl: primary.url,
      workers: 0,
      ingestEnv: { REDIS_WAIT_REPLICAS: '2', REDIS_WAIT_TIMEOUT: '1s' },
    });
    try {
      const answer = await fetch(`${short.ingestUrl}/readyz`);
      expect(answer.status).toBe(503);
      expect(await answer.json()).toMatchObject({ checks: { redisReplicas: { ok: false } } });
      // The why is for the log: the open port answers without details.
      await waitFor(() =>
        short.ingest
          .output()
          .includes('REDIS_WAIT_REPLICAS=2 but the primary has 1 replica connected'),
      );
    } finally {
      await short.stop();
    }
  });
});
