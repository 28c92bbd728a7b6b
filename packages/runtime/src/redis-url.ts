const MASK = '***';

/** `scheme://`. */
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * ioredis also takes the password from the query string (`?password=…`); a connection string of
 * another form (`host:6380,password=…,ssl=True`, as some clouds print) puts it after a comma.
 */
const PASSWORD_PARAM = /([?&,;]\s*password=)[^&#,;]*/gi;

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
  if (at === -1) return maskNonPort(scheme, rest);
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon === -1 || colon === userinfo.length - 1) return url;
  return `${scheme}${userinfo.slice(0, colon + 1)}${MASK}${rest.slice(at)}`;
}

/**
 * A value with no `@` whose first authority item is `name:text` with text that is no port
 * (`redis://default:Tr0ub4dor-3`, its `@host` left out): the text may be a password, and is
 * masked up to the next `/`, `?`, `#` or `,` (a cluster's next node).
 */
function maskNonPort(scheme: string, rest: string): string {
  const end = rest.search(/[/?#,]/);
  const first = end === -1 ? rest : rest.slice(0, end);
  return `${scheme}${maskUnlessPort(first)}${end === -1 ? '' : rest.slice(end)}`;
}

/**
 * An authority item (`host:port`, or a cluster's node) as it may be shown: what follows its first
 * `:` is masked unless it is a port, since `default:s3cr3t` is a password whose `@host` was left
 * out. A bracketed IPv6 host is kept.
 */
export function maskUnlessPort(item: string): string {
  const colon = item.indexOf(':');
  // No port: shown when it can only be a host name, else masked whole (`password=…` is not).
  if (colon === -1) return /^[A-Za-z0-9._-]*$/.test(item) ? item : MASK;
  if (item.startsWith('[') || /^\d*$/.test(item.slice(colon + 1))) return item;
  return `${item.slice(0, colon + 1)}${MASK}`;
}
