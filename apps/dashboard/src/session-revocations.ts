import type { RedisConnection } from '@commitlog/queue';
import type { Session } from './session.ts';

/**
 * Sessions signed out before they expired. Sessions are stateless tokens, so without this a
 * copy of a cookie (a proxy log, a shared machine) would stay valid for the rest of its
 * `DASHBOARD_SESSION_TTL` after its user signed out. Kept in Redis, so every replica sees it.
 */
export interface SessionRevocations {
  /** Records `session` as signed out, until it would have expired anyway (and a margin after). */
  revoke(session: Session): Promise<void>;
  /** Whether `session` was signed out. Rejects when Redis does not answer. */
  isRevoked(session: Session): Promise<boolean>;
}

/** The key that marks a session signed out: by its random nonce, never by the token. */
export function revokedSessionKey(prefix: string, session: Pick<Session, 'nonce'>): string {
  return `${prefix}:{meta}:signed-out:${session.nonce}`;
}

/**
 * How long a sign-out is kept past its session's expiry: each replica judges expiry by its own
 * clock and Redis expires the mark by its own, so a replica whose clock is behind would let a
 * signed-out copy back in for the difference. Clocks of one deployment agree far better than this.
 */
export const SIGN_OUT_KEPT_PAST_EXPIRY_MS = 5 * 60_000;

export function redisSessionRevocations(
  connection: RedisConnection,
  prefix: string,
  now: () => number = Date.now,
): SessionRevocations {
  return {
    async revoke(session) {
      const ttlMs = session.expiresAt - now() + SIGN_OUT_KEPT_PAST_EXPIRY_MS;
      if (ttlMs <= 0) return;
      await connection.set(revokedSessionKey(prefix, session), '1', 'PX', ttlMs);
    },
    async isRevoked(session) {
      return (await connection.exists(revokedSessionKey(prefix, session))) === 1;
    },
  };
}
