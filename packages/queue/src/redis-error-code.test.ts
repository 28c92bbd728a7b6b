import { CommitlogError } from '@commitlog/core';
import { ReplyError as UntypedReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisErrorCode } from './redis-error-code.ts';

/** ioredis's own class for Redis's error replies (its type is `any`). */
const ReplyError = UntypedReplyError as new (message: string) => Error;

describe('redisErrorCode', () => {
  it("gives a Redis reply's first word, a socket's code, commitlog's code, or OTHER", () => {
    const reply = new ReplyError(
      "NOPERM User ingest-svc has no permissions to run the 'evalsha' command",
    );
    expect(redisErrorCode(reply)).toBe('NOPERM');
    expect(redisErrorCode(new ReplyError('OOM command not allowed'))).toBe('OOM');
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6379'), {
      code: 'ECONNREFUSED',
    });
    expect(redisErrorCode(refused)).toBe('ECONNREFUSED');
    const ours = new CommitlogError('REPLICAS_BEHIND', '0 of 1 replicas of 10.0.0.8:6379', {
      retriable: true,
    });
    expect(redisErrorCode(ours)).toBe('REPLICAS_BEHIND');
  });

  it('never passes on text that is not a code', () => {
    expect(redisErrorCode(new Error('Connection is closed.'))).toBe('OTHER');
    expect(redisErrorCode(new ReplyError('lowercase reply text'))).toBe('OTHER');
    expect(redisErrorCode(Object.assign(new Error('x'), { code: 'not a code' }))).toBe('OTHER');
    expect(redisErrorCode(Object.assign(new Error('x'), { code: 'A'.repeat(60) }))).toBe('OTHER');
    expect(redisErrorCode('NOPERM as a string')).toBe('OTHER');
  });
});
