import { describe, expect, it } from 'vitest';
import { CommitlogError, isRetriable } from './errors.ts';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  expiresAt,
  ExpiredError,
  isExpired,
  nextDelay,
  parseDuration,
} from './retry-policy.ts';

const policy = { baseDelayMs: 200, maxDelayMs: 60_000, ttlMs: 3_600_000 };
const top = () => 0.999_999_999;

describe('backoffDelay', () => {
  it('doubles the cap with each attempt, up to the maximum', () => {
    const caps = [1, 2, 3, 4, 5, 9, 10, 50].map((attempt) => backoffDelay(attempt, policy, top));
    expect(caps).toEqual([199, 399, 799, 1599, 3199, 51_199, 59_999, 59_999]);
  });

  it('jitters over the whole range', () => {
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelay(3, policy, () => 0.25)).toBe(200);
    expect(backoffDelay(10, policy, () => 0.5)).toBe(30_000);
  });

  it('is an integer in [1, cap] when the cap allows, never 0 or negative', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(1);
    expect(backoffDelay(1, policy, () => 1)).toBe(200); // a generator that breaks its contract
    expect(backoffDelay(1, policy, () => -5)).toBe(1);
    expect(backoffDelay(1, policy, () => NaN)).toBe(1);
    expect(backoffDelay(1, { baseDelayMs: 0, maxDelayMs: 100 }, top)).toBe(0);
    expect(backoffDelay(1, { baseDelayMs: 0.5, maxDelayMs: 100 }, top)).toBe(0);
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(1 + (i % 20), policy);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(1);
      expect(delay).toBeLessThanOrEqual(60_000);
    }
  });

  it('does not overflow on huge attempts', () => {
    for (const attempt of [1024, 10_000, Number.MAX_SAFE_INTEGER]) {
      expect(backoffDelay(attempt, policy, top)).toBe(59_999);
      expect(backoffDelay(attempt, { baseDelayMs: 0, maxDelayMs: 60_000 }, top)).toBe(0);
    }
  });

  it('refuses attempts from before the first, and nonsense policies', () => {
    for (const attempt of [0, -1, 1.5, NaN]) {
      expect(() => backoffDelay(attempt, policy)).toThrow(RangeError);
    }
    expect(() => backoffDelay(1, { baseDelayMs: -1, maxDelayMs: 10 })).toThrow(RangeError);
    expect(() => backoffDelay(1, { baseDelayMs: 1, maxDelayMs: Infinity })).toThrow(RangeError);
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      baseDelayMs: 200,
      maxDelayMs: 60_000,
      ttlMs: 86_400_000,
    });
  });
});

describe('expiry', () => {
  const accepted = 1_000_000;

  it('expires a TTL after acceptance', () => {
    expect(expiresAt(accepted, policy)).toBe(accepted + 3_600_000);
    expect(isExpired(accepted, accepted + 3_599_999, policy)).toBe(false);
    expect(isExpired(accepted, accepted + 3_600_000, policy)).toBe(true);
  });

  it('counts a commit whose acceptance is not a time as expired, rather than never', () => {
    expect(isExpired(NaN, accepted, policy)).toBe(true);
    expect(nextDelay(1, NaN, accepted, policy, top)).toEqual({ expired: true });
  });

  it('gives up once expired', () => {
    expect(nextDelay(5, accepted, accepted + 3_600_000, policy, top)).toEqual({ expired: true });
    expect(nextDelay(1, accepted, accepted + 9_999_999, policy, top)).toEqual({ expired: true });
  });

  it('waits the backoff while there is time', () => {
    expect(nextDelay(3, accepted, accepted + 1000, policy, () => 0.5)).toEqual({
      expired: false,
      delayMs: 400,
    });
  });

  it('clips the last wait so the last attempt lands at the deadline, not after it', () => {
    const now = accepted + 3_600_000 - 5000;
    expect(nextDelay(20, accepted, now, policy, top)).toEqual({ expired: false, delayMs: 5000 });
    const justBefore = accepted + 3_600_000 - 0.25;
    expect(nextDelay(20, accepted, justBefore, policy, top)).toEqual({
      expired: false,
      delayMs: 1,
    });
  });
});

describe('ExpiredError', () => {
  it('is a non-retriable EXPIRED', () => {
    const cause = new Error('broker down');
    const error = new ExpiredError(undefined, { cause });
    expect(error).toBeInstanceOf(CommitlogError);
    expect(error.code).toBe('EXPIRED');
    expect(isRetriable(error)).toBe(false);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('the commit was not delivered within its TTL');
    expect(new ExpiredError('not delivered in 24h').message).toBe('not delivered in 24h');
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['90m', 5_400_000],
    ['24h', 86_400_000],
    ['14d', 1_209_600_000],
    ['1500', 1500],
    ['0', 0],
    [' 24h\n', 86_400_000],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'h', '24 h', '1.5h', '-5s', '24H', '1h30m', '3w', 'ms', '99999999999999999d'])(
    'refuses %j, saying what it expected',
    (text) => {
      expect(() => parseDuration(text)).toThrow(RangeError);
      expect(() => parseDuration(text)).toThrow(`invalid duration ${JSON.stringify(text)}`);
    },
  );
});
