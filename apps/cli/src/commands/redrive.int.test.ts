// `commitlog redrive` on the real Redis, of ids left in a lane's failed set without their jobs
// (a hand edit of Redis, a restore that lost the hashes): counted as failed by `status`, with
// nothing to re-drive; the re-drive names them, and what removes them.
import { claimLaneCount, laneQueueName } from '@commitlog/queue';
import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { redrive } from './redrive.ts';

describe('redrive over failed ids whose jobs are gone', () => {
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
    await claimLaneCount(space.redis, space.prefix, 4);
    const failed = (lane: number) => `${space.prefix}:${laneQueueName(lane)}:failed`;
    await space.redis.zadd(failed(1), Date.now() - 60_000, 'c-lost-1');
    await space.redis.zadd(failed(3), Date.now() - 60_000, 'c-lost-2');
  });

  afterEach(async () => {
    await space.cleanup();
  });

  async function refusal(...args: string[]): Promise<CliError> {
    const out: string[] = [];
    const error = await redrive({ args, env, out: (l) => out.push(l), err: () => {} }).catch(
      (e: unknown) => e,
    );
    expect(out).toEqual([]);
    expect(error).toBeInstanceOf(CliError);
    return error as CliError;
  }

  it('names them, with --all and with --job, and says to discard them', async () => {
    const all = await refusal('--all');
    expect(all.code).toBe('LEFT_FAILED');
    expect(all.message).toBe(
      'redrive: 0 re-driven, 2 left failed: their jobs are gone from Redis (only their ids are left in the failed sets, which status counts), so there is nothing to re-drive: c-lost-1, c-lost-2 (remove each id with commitlog discard --job ID)',
    );
    // Not "no failed delivery has the id": status counts it as one.
    const one = await refusal('--job', 'c-lost-2');
    expect(one.code).toBe('LEFT_FAILED');
    expect(one.message).toMatch(/, 1 left failed: their jobs are gone from Redis .*: c-lost-2 \(/);
  });
});
