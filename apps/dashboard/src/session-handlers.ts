import { unmatchableHash, type DashboardUser } from '@commitlog/runtime';
import type { Request, Response } from 'express';
import { refuse, sessionBinding, userOf } from './auth.ts';
import { sessionCookie } from './cookies.ts';
import { loginPage, safeNext } from './login-page.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { SessionRevocations } from './session-revocations.ts';
import type { SessionCodec } from './session.ts';

export interface SessionHandlerDeps {
  users: readonly DashboardUser[];
  sessions: SessionCodec;
  revocations: SessionRevocations;
  throttle: LoginThrottle;
  secureCookie: boolean;
  verifyPassword(password: string, hash: string): Promise<boolean>;
  /** Sign-ins and sign-outs, for the audit log; never a password. */
  audit(event: string, detail: Record<string, unknown>): void;
  /** A monotonic clock, ms, and a wait (default `performance.now` and a timer); for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Sign-in and sign-out. */
export function createSessionHandlers(deps: SessionHandlerDeps) {
  const byName = new Map(deps.users.map((u) => [u.name, u]));
  // Checked for unknown users, at the costliest user's scrypt cost: timing does not reveal names.
  const noUserHash = unmatchableHash(deps.users.map((u) => u.passwordHash));
  const now = deps.now ?? (() => performance.now());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  /**
   * How long a check at that cost took last (one made at start-up, then each unknown name's).
   * A known user's check that took less waits out the rest: a user whose hash is cheaper (made
   * before the cost was raised) would otherwise be answered faster than an unknown name, and
   * their names, whose passwords are the cheapest to guess, told apart by timing.
   */
  let costliestCheckMs = 0;
  const timedCheck = async (password: string, hash: string) => {
    const started = now();
    const matches = await deps.verifyPassword(password, hash);
    return { matches, tookMs: now() - started };
  };
  timedCheck('', noUserHash).then(
    (check) => (costliestCheckMs = check.tookMs),
    () => undefined,
  );
  const clientOf = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return {
    showLogin: (req: Request, res: Response): void => {
      res.type('html').send(loginPage({ next: safeNext(req.query.next) }));
    },

    login: async (req: Request, res: Response): Promise<void> => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const next = safeNext(body.next);
      const name = typeof body.username === 'string' ? body.username.slice(0, 64) : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const client = clientOf(req);
      const waitMs = deps.throttle.blockedForMs(client, name);
      if (waitMs > 0) {
        res.setHeader('Retry-After', String(Math.ceil(waitMs / 1000)));
        res
          .status(429)
          .type('html')
          .send(loginPage({ next, error: 'Too many failed sign-ins; wait and try again.' }));
        return;
      }
      // Counted before the slow hash, so that parallel guesses cannot slip past the limit.
      deps.throttle.recordFailure(client, name);
      const user = byName.get(name);
      const { matches, tookMs } = await timedCheck(password, user?.passwordHash ?? noUserHash);
      if (user === undefined) costliestCheckMs = tookMs;
      else if (tookMs < costliestCheckMs) await sleep(costliestCheckMs - tookMs);
      if (!user || !matches) {
        // A name typed into the wrong field may be a password: only configured names are logged.
        const named = user ? user.name : '(unknown)';
        deps.audit('sign-in refused', { user: named, client });
        // Once, as the block begins: the attempts it refuses (429) are not logged one by one.
        const blockedForMs = deps.throttle.blockedForMs(client, name);
        if (blockedForMs > 0) deps.audit('sign-in blocked', { user: named, client, blockedForMs });
        res
          .status(401)
          .type('html')
          .send(loginPage({ next, error: 'Wrong user or password.' }));
        return;
      }
      deps.throttle.recordSuccess(client, name);
      deps.audit('signed in', { user: user.name, role: user.role, client });
      const token = deps.sessions.issue(user.name, sessionBinding(user));
      res.setHeader(
        'Set-Cookie',
        sessionCookie(deps.sessions.cookieName, token, {
          maxAgeS: Math.floor(deps.sessions.ttlMs / 1000),
          secure: deps.secureCookie,
        }),
      );
      res.redirect(303, next);
    },

    /**
     * Clears the cookie and records the session as signed out, so that a copy of the cookie no
     * longer signs anyone in. When Redis does not take that, the user is told the copy stays valid.
     */
    logout: async (req: Request, res: Response): Promise<void> => {
      const user = userOf(res);
      res.setHeader(
        'Set-Cookie',
        sessionCookie(deps.sessions.cookieName, '', { maxAgeS: 0, secure: deps.secureCookie }),
      );
      if (!user) {
        res.redirect(303, '/login');
        return;
      }
      try {
        await deps.revocations.revoke(user.session);
      } catch {
        deps.audit('signed out', { user: user.name, revoked: false });
        const until = new Date(user.session.expiresAt).toISOString();
        refuse(
          req,
          res,
          503,
          'UNAVAILABLE',
          `Signed out in this browser, but Redis is not answering: a copy of this session stays valid until ${until}.`,
        );
        return;
      }
      deps.audit('signed out', { user: user.name, revoked: true });
      res.redirect(303, '/login');
    },
  };
}
