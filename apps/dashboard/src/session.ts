import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A signed-in user's session, as its cookie carries it. */
export interface Session {
  name: string;
  /** Epoch ms after which the session is over. */
  expiresAt: number;
  /** A random id, so that two sign-ins of one user get different tokens and CSRF tokens. */
  nonce: string;
  /** What the session was bound to at sign-in (see `bindingOf`); a change ends the session. */
  binding: string;
}

/** Issues and reads session tokens, and the CSRF token that goes with each. */
export interface SessionCodec {
  /** The name of the session cookie. */
  cookieName: string;
  ttlMs: number;
  /** A token for `name`, bound to `bindTo` (the user's role and password hash). */
  issue(name: string, bindTo: string): string;
  /** The binding a session must carry to be valid for `bindTo` now. */
  bindingOf(bindTo: string): string;
  /** The session of a token that is well-formed, signed by us and not expired; else undefined. */
  read(token: string | undefined): Session | undefined;
  /** The CSRF token of a session token: forms carry it, and only a page of ours can read it. */
  csrfToken(sessionToken: string): string;
  /** Whether `csrf` is the CSRF token of `sessionToken`; constant time. */
  checkCsrf(sessionToken: string, csrf: unknown): boolean;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Stateless sessions: `<payload>.<HMAC-SHA256>`, both base64url, signed with `secret`. Nothing is
 * stored server-side, so replicas sharing `DASHBOARD_SESSION_SECRET` share sessions. A session
 * ends at its expiry, or when its user's role or password hash changes in `DASHBOARD_USERS` (it
 * is bound to them) or the user is removed, at the next restart. Signing out is recorded in Redis
 * (see `SessionRevocations`), so that a copied token ends with it.
 */
export function createSessionCodec(options: {
  secret: string;
  ttlMs: number;
  /**
   * Cookies are Secure: the name then takes the `__Host-` prefix, which browsers accept only
   * from this host over HTTPS with `Path=/`, so a sibling subdomain cannot plant a session.
   */
  secure?: boolean;
  now?: () => number;
}): SessionCodec {
  const now = options.now ?? Date.now;
  const mac = (purpose: string, text: string): string =>
    createHmac('sha256', options.secret).update(`${purpose}:${text}`).digest('base64url');
  return {
    cookieName: options.secure === true ? '__Host-commitlog_session' : 'commitlog_session',
    ttlMs: options.ttlMs,
    issue(name, bindTo) {
      const session: Session = {
        name,
        expiresAt: now() + options.ttlMs,
        nonce: randomBytes(12).toString('base64url'),
        binding: mac('bind', bindTo),
      };
      const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
      return `${payload}.${mac('session', payload)}`;
    },
    read(token) {
      if (!token) return undefined;
      const [payload = '', signature = '', extra] = token.split('.');
      if (extra !== undefined || !sameText(signature, mac('session', payload))) return undefined;
      let session: unknown;
      try {
        session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
      if (!isSession(session) || session.expiresAt <= now()) return undefined;
      return session;
    },
    bindingOf(bindTo) {
      return mac('bind', bindTo);
    },
    csrfToken(sessionToken) {
      return mac('csrf', sessionToken);
    },
    checkCsrf(sessionToken, csrf) {
      return typeof csrf === 'string' && sameText(csrf, mac('csrf', sessionToken));
    },
  };
}

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    typeof s.name === 'string' &&
    typeof s.expiresAt === 'number' &&
    typeof s.nonce === 'string' &&
    typeof s.binding === 'string'
  );
}
