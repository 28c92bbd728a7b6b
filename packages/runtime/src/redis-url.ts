const MASK = '***';

/** `scheme://`. */
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** ioredis also takes the password from the query string (`?password=…`). */
const PASSWORD_PARAM = /([?&]password=)[^&#]*/gi;

/**
 * A Redis URL that is safe to log or print: the password, in the userinfo
 * (`redis://user:secret@host`) or the query string (`?password=secret`), becomes `***`. Everything
 * else is kept as written, so the operator recognises the value they configured. A username alone
 * is not a secret and is kept.
 */
export function maskRedisUrl(url: string): string {
  return maskUserinfoPassword(url).replace(
    PASSWORD_PARAM,
    (_whole, name: string) => `${name}${MASK}`,
  );
}

/**
 * The userinfo is taken to end at the last `@` of the whole value, not of the authority as a URL
 * parser reads it: a password written without percent-encoding may hold `/`, `?` or `#` (base64
 * secrets hold `/`), and then the value does not parse, yet it is shown in the error that says so.
 * Masking too much of an odd value is the cheaper mistake.
 */
function maskUserinfoPassword(url: string): string {
  const scheme = SCHEME.exec(url)?.[0];
  if (scheme === undefined) return url;
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at === -1) return url;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon === -1 || colon === userinfo.length - 1) return url;
  return `${scheme}${userinfo.slice(0, colon + 1)}${MASK}${rest.slice(at)}`;
}
