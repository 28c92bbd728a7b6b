// `commitlog discard --job ID` on the real Redis, of an id left in a lane's failed set without its
// job (a hand edit of Redis, a restore that lost the hash): counted as failed by `status` and the
// failed gauge, whose alert fires until someone removes it, and this is how.
import { claimLaneCount, laneQueueName, readAuditTrail } from '@commitlog/queue';
import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { discard } from './discard.ts';

describe('discard of a failed id whose job is gone', () => {
  let space: TestQueuePrefix;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    space = createTestQueuePrefix();
    env = {
      REDIS_URL: space.redisUrl,
      QUEUE_PREFIX: space.prefix,
      LANES: '4',
      COMMITLOG_OPERATOR: 'ada',
    };
    // As an ingest or a worker records it when it starts.
    await claimLaneCount(space.redis, space.prefix, 4);
  });

  afterEach(async () => {
    await space.cleanup();
  });

  async function run(...args: string[]): Promise<{ out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    await discard({ args, env, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { out, err };
  }

  it('removes the id, says its job was gone, and puts that on record', async () => {
    const failed = `${space.prefix}:${laneQueueName(2)}:failed`;
    await space.redis.zadd(failed, Date.now() - 60_000, 'c-lost');

    expect(await run('--job', 'c-lost')).toEqual({
      out: [
        'discard: removed the id c-lost from the failed deliveries of lane 2: its job was already gone from Redis (no commit was there to lose)',
      ],
      err: [],
    });
    expect(await space.redis.zscore(failed, 'c-lost')).toBeNull();
    const [done] = await readAuditTrail(space.redis, space.prefix, 1);
    expect(done).toMatchObject({
      by: 'ada',
      via: 'cli',
      action: 'discard',
      detail: { jobId: 'c-lost', phase: 'done', removed: true, lane: 2, jobGone: true },
    });

    // Gone for good: the next one is told so.
    const again = await run('--job', 'c-lost').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(CliError);
    expect((again as CliError).message).toBe('discard: no lane holds a job with the id c-lost');
  });
});
