import { CommitlogError } from '@commitlog/core';
import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isLastingRedisError, untilRedisAnswers } from './redis-retry.ts';
import { LaneCountMismatchError } from './lane-count.ts';
import { RedisDatabaseError } from './redis-connection.ts';

/** An error reply as ioredis gives it (its ReplyError class is typed loosely). */
const reply = (message: string): Error =>
  new (ReplyError as unknown as new (message: string) => Error)(message);

describe('isLastingRedisError', () => {
  it('counts refusals no wait fixes as lasting', () => {
    for (const text of [
      'NOAUTH Authentication required.',
      'WRONGPASS invalid username-password pair or user is disabled.',
      "NOPERM User default has no permissions to run the 'info' command",
      "ERR unknown command 'FOO'",
    ]) {
      expect(isLastingRedisError(reply(text)), text).toBe(true);
    }
    expect(isLastingRedisError(new LaneCountMismatchError(8, 4))).toBe(true);
  });

  it('counts a cluster settling, a connection not up yet and retriable errors as passing', () => {
    for (const text of [
      'CLUSTERDOWN Hash slot not served',
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'MOVED 10453 127.0.0.1:7001',
      'ASK 10453 127.0.0.1:7001',
      'LOADING Redis is loading the dataset in memory',
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no',
      // A long script or function: it ends, or someone kills it.
      'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
    ]) {
      expect(isLastingRedisError(reply(text)), text).toBe(false);
    }
    // The SELECT of REDIS_URL's /db, answered so: not a database Redis lacks.
    const busySelect = new RedisDatabaseError('3', reply('BUSY Redis is busy running a script.'));
    expect(isLastingRedisError(busySelect)).toBe(false);
    expect(busySelect.message).toMatch(/^Redis did not select database 3 yet \(BUSY /);
    const missing = new RedisDatabaseError('99', reply('ERR DB index is out of range'));
    expect(isLastingRedisError(missing)).toBe(true);
    // What ioredis throws once its 16 redirections are spent: a plain Error.
    const spent = new Error('Too many Cluster redirections. Last error: ReplyError: MOVED 1 a:1');
    expect(isLastingRedisError(spent)).toBe(false);
    expect(isLastingRedisError(new Error('connect ECONNREFUSED 127.0.0.1:7000'))).toBe(false);
    const retriable = new CommitlogError('SOMETHING', 'passing', { retriable: true });
    expect(isLastingRedisError(retriable)).toBe(false);
  });
});

describe('untilRedisAnswers', () => {
  it('tries again after a passing error, and returns what the step returns', async () => {
    const seen: unknown[] = [];
    let tries = 0;
    const result = await untilRedisAnswers(
      () => {
        tries += 1;
        if (tries < 3) return Promise.reject(reply('CLUSTERDOWN Hash slot not served'));
        return Promise.resolve('claimed');
      },
      { stopped: () => false, pauseMs: 1, onRetry: (error) => seen.push(error) },
    );
    expect(result).toBe('claimed');
    expect(tries).toBe(3);
    expect(seen).toHaveLength(2);
  });

  it('throws a lasting error at once', async () => {
    let tries = 0;
    const step = (): Promise<never> => {
      tries += 1;
      return Promise.reject(reply('WRONGPASS invalid username-password pair'));
    };
    await expect(untilRedisAnswers(step, { stopped: () => false, pauseMs: 1 })).rejects.toThrow(
      'WRONGPASS',
    );
    expect(tries).toBe(1);
  });

  it('throws a passing error once stopped', async () => {
    let tries = 0;
    let stopped = false;
    const step = (): Promise<never> => {
      tries += 1;
      if (tries === 2) stopped = true;
      return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:7000'));
    };
    await expect(untilRedisAnswers(step, { stopped: () => stopped, pauseMs: 1 })).rejects.toThrow(
      'ECONNREFUSED',
    );
    expect(tries).toBe(2);
  });
});
