// `commitlog status` and `commitlog redrive`, as processes, over a commit that really expired: the
// system runs with Kafka down and a 2 s TTL, so the posted commit fails for good with `expired`.
import { laneOf, parseCommit } from '@commitlog/core';
import { createRedisConnection, laneQueueName, type RedisConnection } from '@commitlog/queue';
import {
  NOTHING_LISTENS_PORT,
  putCommit,
  startSystem,
  uniqueName,
  waitFor,
  type RunningSystem,
} from '@commitlog/testkit';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function commitlog(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['apps/cli/src/main.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) =>
    child.once('close', (status) => resolve({ status, stdout, stderr })),
  );
}

describe('status and redrive', () => {
  let system: RunningSystem;
  let redis: RedisConnection;
  let env: Record<string, string>;

  beforeAll(async () => {
    const deadKafka = [`127.0.0.1:${NOTHING_LISTENS_PORT}`];
    system = await startSystem({ kafkaBrokers: deadKafka, env: { COMMIT_TTL: '2s' } });
    redis = createRedisConnection({ url: system.redisUrl, role: 'worker', onError: () => {} });
    env = { REDIS_URL: system.redisUrl, QUEUE_PREFIX: system.prefix, LANES: '8' };
  });

  afterAll(async () => {
    redis?.disconnect();
    await system?.stop();
  });

  /** Posts a commit and waits until it failed for good (Kafka is down, COMMIT_TTL is 2 s). */
  async function postUntilExpired(commit: ReturnType<typeof putCommit>) {
    const response = await system.post(commit);
    expect(response.status).toBe(202);
    const { id, lane } = response.body as { id: string; lane: number };
    const jobKey = `${system.prefix}:${laneQueueName(lane)}:${id}`;
    await waitFor(() => redis.hget(jobKey, 'failedReason'), {
      timeoutMs: 30_000,
      description: 'the commit to expire',
    });
    return { id, lane, jobKey };
  }

  it('shows an expired delivery, re-drives it, and it waits in its lane again', async () => {
    // A commit past lane 0: status and redrive are then run with LANES=1 (a shell without the
    // system's LANES) and must still find it, in the lanes that the count recorded in Redis says
    // exist.
    const bucket = uniqueName('redrive');
    const key = Array.from({ length: 64 }, (_, n) => `late-${n}`).find(
      (k) => laneOf(parseCommit(putCommit({ bucket, key: k })), 8) > 0,
    );
    if (key === undefined) throw new Error('no key of 64 hashes past lane 0');
    const { id, lane, jobKey } = await postUntilExpired(putCommit({ bucket, key }));

    // With LANES=1 too: status reads the lanes the recorded count says exist.
    const status = await commitlog({ ...env, LANES: '1' }, 'status');
    expect(status.stderr).toBe('');
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('lanes 8  waiting 0');
    expect(status.stdout).toMatch(/\n {2}REASON +COUNT +NEWEST +OLDEST\n {2}expired +1 +\d/);

    // Stop the worker so the re-driven commit stays where redrive put it (Kafka is still down).
    await system.workers[0]!.stop();
    const redriveFrom = Date.now();
    const redriven = await commitlog(
      { ...env, LANES: '1', COMMITLOG_OPERATOR: 'ada (CHG-42)' },
      'redrive',
      '--reason',
      'expired',
    );
    const redriveTo = Date.now();
    expect(redriven.stderr).toBe('');
    expect(redriven.stdout.trim()).toBe('redrive: 1 re-driven');
    expect(redriven.status).toBe(0);
    // On record in Redis, before and after, for `commitlog audit` (newest first).
    const audit = await commitlog(env, 'audit', '--last', '2');
    expect(audit.status).toBe(0);
    const [done, started] = audit.stdout.trimEnd().split('\n');
    expect(started).toMatch(
      /^\S+Z {2}cli {2}ada \(CHG-42\) {2}redrive {2}\{"filter":\{"reason":"expired"\},"phase":"started"\}$/,
    );
    expect(done).toMatch(
      /^\S+Z {2}cli {2}ada \(CHG-42\) {2}redrive {2}\{"filter":\{"reason":"expired"\},"phase":"done","opened":"\d+-\d+","redriven":1,"skipped":0\}$/,
    );

    const waiting = `${system.prefix}:${laneQueueName(lane)}:wait`;
    expect(await redis.lrange(waiting, 0, -1)).toContain(id);
    const data = JSON.parse((await redis.hget(jobKey, 'data')) ?? '{}') as { redrivenAt?: string };
    // Stamped by this re-drive (its fresh TTL counts from then), not carried over from before.
    const redrivenAt = Date.parse(data.redrivenAt ?? '');
    expect(redrivenAt).toBeGreaterThanOrEqual(redriveFrom);
    expect(redrivenAt).toBeLessThanOrEqual(redriveTo);

    const after = await commitlog(env, 'status');
    expect(after.stdout).toContain('failed by reason: none');
    expect(after.stdout).toContain('lanes 8  waiting 1');
  });

  it('leaves a failed delivery whose job holds no commit failed, names it, and exits 1', async () => {
    const worker = await system.startWorker();
    const { id, lane, jobKey } = await postUntilExpired(
      putCommit({ bucket: uniqueName('cut'), key: 'k' }),
    );
    await worker.stop();
    // Whole, it holds a commit: discarding it would lose one.
    const refused = await commitlog(env, 'discard', '--job', id);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^commitlog: discard: job ${id} of lane ${lane} holds a commit: .*redrive --job ${id}\\)\n$`,
      ),
    );
    // A hand edit of Redis cut its data short.
    await redis.hset(jobKey, 'data', '{"id":"cut-sh');

    const left = await commitlog(env, 'redrive', '--job', id);
    expect(left.status).toBe(1);
    expect(left.stdout).toBe('');
    expect(left.stderr).toBe(
      `commitlog: redrive: 0 re-driven, 1 left failed: their jobs hold no commit (their data in Redis is not valid JSON, or not a commit job's), so they cannot be re-driven: ${id} (the dashboard lists them as (unreadable); discard each with commitlog discard --job ID)\n`,
    );
    expect(await redis.zscore(`${system.prefix}:${laneQueueName(lane)}:failed`, id)).not.toBeNull();

    // What the line says to do: it goes, and nothing of a commit with it.
    const discarded = await commitlog(env, 'discard', '--job', id);
    expect(discarded.stderr).toBe('');
    expect(discarded.stdout).toBe(
      `discard: removed failed job ${id} of lane ${lane} (it held no commit; its data went with it)\n`,
    );
    expect(discarded.status).toBe(0);
    expect(await redis.exists(jobKey)).toBe(0);
    const audit = await commitlog(env, 'audit', '--last=1');
    expect(audit.stdout).toContain(`discard  {"jobId":"${id}","phase":"done","opened":`);
    expect(audit.stdout).toContain(`"removed":true,"lane":${lane}}`);
    const again = await commitlog(env, 'discard', '--job', id);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(`commitlog: discard: no lane holds a job with the id ${id}\n`);
  });

  it('does nothing when it cannot write the audit record first, and says so in one line', async () => {
    const worker = await system.startWorker();
    const { id, lane } = await postUntilExpired(
      putCommit({ bucket: uniqueName('unaudited'), key: 'k' }),
    );
    await worker.stop();
    // The trail's key taken by a value of another type: Redis refuses every record.
    const trail = `${system.prefix}:audit`;
    const kept = await redis.dumpBuffer(trail);
    await redis.del(trail);
    await redis.set(trail, 'not a stream');
    try {
      const refused = await commitlog(env, 'redrive', '--all');
      expect(refused.status).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(
        /^commitlog: redrive: nothing done: its audit record could not be written to Redis \(WRONGTYPE [^\n]+\)\n$/,
      );
      expect(
        await redis.zscore(`${system.prefix}:${laneQueueName(lane)}:failed`, id),
      ).not.toBeNull();
    } finally {
      await redis.del(trail);
      if (kept !== null) await redis.restore(trail, 0, kept);
    }
  });

  it('ends with one readable line when Redis cannot be reached, or a flag is wrong', async () => {
    const nowhere = `redis://127.0.0.1:${NOTHING_LISTENS_PORT}`;
    const down = await commitlog({ ...env, REDIS_URL: nowhere }, 'status');
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(
      new RegExp(`^commitlog: cannot reach Redis at ${nowhere}: connect ECONNREFUSED [^\n]+\n$`),
    );

    const bad = await commitlog(env, 'redrive', '--older-than', 'soon');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);

    const nothing = await commitlog(env, 'redrive', '--job', 'no-such-commit');
    expect(nothing.status).toBe(1);
    expect(nothing.stdout).toBe('');
    expect(nothing.stderr).toMatch(
      /^commitlog: redrive: no failed delivery has the id no-such-commit [^\n]+\n$/,
    );

    // A QUEUE_PREFIX (or database) where commitlog never ran: not "0 re-driven", exit 0.
    const elsewhere = await commitlog(
      { ...env, QUEUE_PREFIX: uniqueName('typo') },
      'redrive',
      '--all',
    );
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stderr).toMatch(
      /^commitlog: redrive: no commitlog lanes under QUEUE_PREFIX "typo[^"]*" on this Redis [^\n]+\n$/,
    );

    const noBucket = await commitlog(env, 'redrive', '--bucket', 'no-such-bucket');
    expect(noBucket.status).toBe(1);
    expect(noBucket.stderr).toMatch(
      /^commitlog: redrive: (none of the \d+ failed deliveries match|no failed delivery matches) --bucket "no-such-bucket"[^\n]*\n$/,
    );
  });
});
