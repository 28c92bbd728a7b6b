import type { Request, RequestHandler, Response } from 'express';
import { refuse, userOf } from './auth.ts';
import type { SessionCodec } from './session.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The most of a refused request's `Origin` a log line carries: the sender chooses it. */
const ORIGIN_LOGGED_CHARS = 200;

/** Told of each request refused here, for the log: who (when signed in), what, and why. */
export type ForgeryRefusalLog = (user: string, detail: Record<string, unknown>) => void;

function refusal(req: Request, res: Response, why: string): [string, Record<string, unknown>] {
  const origin = req.headers.origin;
  return [
    userOf(res)?.name ?? '(signed out)',
    {
      method: req.method,
      path: req.path,
      why,
      ...(origin === undefined ? {} : { origin: origin.slice(0, ORIGIN_LOGGED_CHARS) }),
      ...(req.headers['sec-fetch-site'] === undefined
        ? {}
        : { secFetchSite: String(req.headers['sec-fetch-site']).slice(0, ORIGIN_LOGGED_CHARS) }),
    },
  ];
}

/**
 * Refuses a state-changing request that a browser says came from another site: `Sec-Fetch-Site`
 * other than same-origin, or, from a browser that does not send it, an `Origin` that is not this
 * host. Browsers send one or both on every cross-site POST, PUT, PATCH and DELETE; a client
 * without them (curl) is not a browser that a forged page could drive. Bull Board's own API calls
 * are protected by this and SameSite=Strict.
 *
 * `Sec-Fetch-Site`, which no page can set, is believed on its own: behind a proxy that rewrites
 * `Host` (nginx's default), the browser's `Origin` never equals it, and every sign-in was refused.
 * Without it, `Origin` is compared with the host the client asked for (`X-Forwarded-Host` from a
 * proxy in DASHBOARD_TRUST_PROXY).
 */
export function refuseCrossSite(logRefusal: ForgeryRefusalLog): RequestHandler {
  return (req, res, next) => {
    if (!isCrossSite(req)) return next();
    logRefusal(...refusal(req, res, 'another site'));
    refuse(req, res, 403, 'CSRF', 'refused: the request came from another site');
  };
}

function isCrossSite(req: Request): boolean {
  if (SAFE_METHODS.has(req.method)) return false;
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  return (
    origin === 'null' ||
    (site !== undefined
      ? site !== 'same-origin' && site !== 'none'
      : origin !== undefined && hostOf(origin) !== req.host)
  );
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/**
 * Our own forms carry the session's CSRF token (field `_csrf`, or header `X-CSRF-Token` for
 * scripts); a request without the right one is refused, whatever its headers say.
 */
export function requireCsrfToken(
  sessions: SessionCodec,
  logRefusal: ForgeryRefusalLog,
): RequestHandler {
  return (req, res, next) => {
    const user = userOf(res);
    const body = req.body as Record<string, unknown> | undefined;
    const sent = body?._csrf ?? req.headers['x-csrf-token'];
    if (user && sessions.checkCsrf(user.sessionToken, sent)) return next();
    logRefusal(...refusal(req, res, sent === undefined ? 'no CSRF token' : 'wrong CSRF token'));
    refuse(
      req,
      res,
      403,
      'CSRF',
      'refused: missing or wrong CSRF token; reload the page and try again',
    );
  };
}
