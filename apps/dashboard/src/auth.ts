import { errorBody, type DashboardRole, type DashboardUser } from '@commitlog/runtime';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { parseCookies } from './cookies.ts';
import { escapeHtml } from './html.ts';
import type { SessionRevocations } from './session-revocations.ts';
import type { Session, SessionCodec } from './session.ts';

/** Who made a request, known from a valid session cookie of a user still configured. */
export interface SignedInUser {
  name: string;
  role: DashboardRole;
  /** Goes into every form of ours; a mutating request must send it back. */
  csrfToken: string;
  sessionToken: string;
  session: Session;
}

/** Why a session is refused while Redis cannot say whether it was signed out. */
const UNCHECKED_SIGN_OUT =
  'Redis is not answering; whether this session was signed out cannot be checked now';

interface AuthLocals {
  user?: SignedInUser;
}

export function userOf(res: Response): SignedInUser | undefined {
  return (res.locals as AuthLocals).user;
}

/**
 * Reads the session cookie of each request. The role comes from `DASHBOARD_USERS` on every
 * request, never from the cookie, so a cookie cannot claim more than the configuration gives.
 * A session signed out is refused; when Redis is up but does not answer whether it was, the
 * request gets 503 rather than a guess.
 */
export function authenticate(
  users: readonly DashboardUser[],
  sessions: SessionCodec,
  signOuts: { revocations: SessionRevocations; isRedisUp(): boolean },
): RequestHandler {
  const byName = new Map(users.map((u) => [u.name, u]));
  return (req, res, next) => {
    const token = parseCookies(req.headers.cookie).get(sessions.cookieName);
    const session = sessions.read(token);
    const user = session ? byName.get(session.name) : undefined;
    if (
      !user ||
      !token ||
      !session ||
      session.binding !== sessions.bindingOf(sessionBinding(user))
    ) {
      next();
      return;
    }
    const signIn = () => {
      (res.locals as AuthLocals).user = {
        name: user.name,
        role: user.role,
        sessionToken: token,
        csrfToken: sessions.csrfToken(token),
        session,
      };
      next();
    };
    // Everything a session reaches reads or writes Redis, or is refused while Redis is down (the
    // running re-drive, held in memory: dashboard-app.ts), so a signed-out copy could only load
    // Bull Board's empty page: not worth refusing every user for.
    if (!signOuts.isRedisUp()) {
      signIn();
      return;
    }
    signOuts.revocations.isRevoked(session).then(
      (revoked) => (revoked ? next() : signIn()),
      () => refuse(req, res, 503, 'UNAVAILABLE', UNCHECKED_SIGN_OUT),
    );
  };
}

/**
 * Checks again, once a request's body is in, that its session was not signed out: for a request
 * that changes something. `authenticate` lets a session through unchecked while Redis is down,
 * and Redis may be back, and the action able to run, by the time a slow body has arrived.
 */
export function recheckSignOut(revocations: SessionRevocations): RequestHandler {
  return (req, res, next) => {
    const user = userOf(res);
    if (!user) return next();
    revocations.isRevoked(user.session).then(
      (revoked) => {
        if (!revoked) return next();
        (res.locals as AuthLocals).user = undefined;
        requireUser(req, res, next);
      },
      () => refuse(req, res, 503, 'UNAVAILABLE', UNCHECKED_SIGN_OUT),
    );
  };
}

/** What a session is bound to: a new password or role ends the sessions of the old one. */
export function sessionBinding(user: DashboardUser): string {
  return `${user.role}:${user.passwordHash}`;
}

/** Whether the client asked for a page (a browser) rather than data. */
function wantsPage(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html';
}

/**
 * The codes of the dashboard's error answers, in the ingest's and the CLI's form (upper case,
 * underscores), so that a client reads every commitlog service's errors alike.
 */
export type DashboardErrorCode =
  | 'AUDIT_UNAVAILABLE'
  | 'CSRF'
  | 'FORBIDDEN'
  | 'INTERNAL'
  | 'INVALID_REQUEST'
  | 'NOT_FOUND'
  | 'NOT_REDRIVEN'
  | 'REDRIVE_INTERRUPTED'
  | 'REDRIVE_RUNNING'
  | 'STALE_LANE_COUNT'
  | 'UNAUTHENTICATED'
  | 'UNAVAILABLE'
  | 'UNSUPPORTED_MEDIA_TYPE';

/** An error answer: JSON for API clients, a short page for browsers. */
export function refuse(
  req: Request,
  res: Response,
  status: number,
  code: DashboardErrorCode,
  message: string,
  path?: string,
): void {
  res.status(status);
  if (wantsPage(req)) {
    res.type('html').send(`<!doctype html><title>${status}</title><p>${escapeHtml(message)}</p>`);
  } else {
    res.json(errorBody(code, message, path));
  }
}

/** Anonymous requests: a browser asking for a page goes to the sign-in page, anything else gets 401. */
export function requireUser(req: Request, res: Response, next: NextFunction): void {
  if (userOf(res)) return next();
  if (req.method === 'GET' && wantsPage(req)) {
    res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    return;
  }
  refuse(
    req,
    res,
    401,
    'UNAUTHENTICATED',
    'sign in first: POST /login with a user of DASHBOARD_USERS',
  );
}

/** Admins only: a viewer gets 403. Runs after `requireUser`. */
export function requireAdmin(req: Request, res: Response, next: NextFunction): void {
  const user = userOf(res);
  if (user?.role === 'admin') return next();
  refuse(
    req,
    res,
    403,
    'FORBIDDEN',
    `${user?.name ?? 'this user'} is a viewer; only an admin may do this`,
  );
}
