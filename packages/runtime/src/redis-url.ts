const MASK = '***';

/** `scheme://` then the authority, which ends at the first `/`, `?` or `#`. */
const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i;

/** ioredis also takes the password from the query string (`?password=…`). */
const PASSWORD_PARAM = /([?&]password=)[^&#]*/gi;

/**
 * A Redis URL that is safe to log or print: the password, in the userinfo
 * (`redis://user:secret@host`) or the query string (`?password=secret`), becomes `***`. Everything
 * else is kept as written, so the operator recognises the value they configured. A username alone
 * is not a secret and is kept.
 */
export function maskRedisUrl(url: string): string {
  const masked = url.replace(AUTHORITY, (_whole, scheme: string, authority: string) => {
    // The userinfo ends at the last `@` of the authority, as WHATWG URL parsing reads it.
    const at = authority.lastIndexOf('@');
    if (at === -1) return `${scheme}${authority}`;
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon === -1 || colon === userinfo.length - 1) return `${scheme}${authority}`;
    return `${scheme}${userinfo.slice(0, colon + 1)}${MASK}${authority.slice(at)}`;
  });
  return masked.replace(PASSWORD_PARAM, (_whole, name: string) => `${name}${MASK}`);
}
