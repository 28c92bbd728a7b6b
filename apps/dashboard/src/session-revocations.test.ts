import type { RedisConnection } from '@commitlog/queue';
import { describe, expect, it } from 'vitest';
import {
  redisSessionRevocations,
  revokedSessionKey,
  SIGN_OUT_KEPT_PAST_EXPIRY_MS,
} from './session-revocations.ts';
import type { Session } from './session.ts';

/** A connection that keeps what `set` was given. */
function recordingConnection(): { connection: RedisConnection; sets: unknown[][] } {
  const sets: unknown[][] = [];
  const connection = {
    set: (...args: unknown[]) => (sets.push(args), Promise.resolve('OK')),
  } as unknown as RedisConnection;
  return { connection, sets };
}

describe('redisSessionRevocations', () => {
  const now = 1_000_000;
  const session = (expiresAt: number) => ({ nonce: 'n-1', expiresAt }) as Session;

  it('keeps a sign-out until its session expires, and a margin for clocks that disagree', async () => {
    const { connection, sets } = recordingConnection();
    await redisSessionRevocations(connection, 'p', () => now).revoke(session(now + 60_000));
    expect(sets).toEqual([
      [revokedSessionKey('p', { nonce: 'n-1' }), '1', 'PX', 60_000 + SIGN_OUT_KEPT_PAST_EXPIRY_MS],
    ]);
  });

  it('still records a session that expired by this clock within the margin, and not one before', async () => {
    const { connection, sets } = recordingConnection();
    const revocations = redisSessionRevocations(connection, 'p', () => now);
    await revocations.revoke(session(now - 1000));
    await revocations.revoke(session(now - SIGN_OUT_KEPT_PAST_EXPIRY_MS));
    expect(sets.map((s) => s[3])).toEqual([SIGN_OUT_KEPT_PAST_EXPIRY_MS - 1000]);
  });
});
