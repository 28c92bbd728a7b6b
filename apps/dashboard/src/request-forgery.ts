import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { refuse, userOf } from './auth.ts';
import type { SessionCodec } from './session.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
export function refuseCrossSite(req: Request, res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method)) return next();
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  const foreign =
    origin === 'null' ||
    (site !== undefined
      ? site !== 'same-origin' && site !== 'none'
      : origin !== undefined && hostOf(origin) !== req.host);
  if (foreign) {
    refuse(req, res, 403, 'CSRF', 'refused: the request came from another site');
    return;
  }
  next();
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
export function requireCsrfToken(sessions: SessionCodec): RequestHandler {
  return (req, res, next) => {
    const user = userOf(res);
    const body = req.body as Record<string, unknown> | undefined;
    const sent = body?._csrf ?? req.headers['x-csrf-token'];
    if (user && sessions.checkCsrf(user.sessionToken, sent)) return next();
    refuse(
      req,
      res,
      403,
      'CSRF',
      'refused: missing or wrong CSRF token; reload the page and try again',
    );
  };
}
