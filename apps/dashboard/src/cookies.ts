/** The cookies of a request's `Cookie` header, by name; a malformed pair is skipped. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    try {
      cookies.set(name, decodeURIComponent(pair.slice(eq + 1).trim()));
    } catch {
      // not percent-encoded as we write it: not ours
    }
  }
  return cookies;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAgeS: number;
  secure: boolean;
}

/**
 * A `Set-Cookie` value for the session: HttpOnly (no script reads it) and SameSite=Strict (no other
 * site's page sends it), the first line of defence against CSRF.
 */
export function sessionCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${options.maxAgeS}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
