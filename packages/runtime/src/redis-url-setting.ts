// REDIS_URL as every role reads it (env-values.ts re-exports it with the other settings' rules).
import { bad, got, ok, type Parsed, type Parser } from './parsed.ts';
import { maskRedisUrl, maskUnlessPort } from './redis-url.ts';

/**
 * ` (got "…")` with the password masked, for a value written as `scheme://authority…`, where the
 * masking finds the password; any other value is not repeated, since it may hold one unfound.
 */
function gotRedisUrl(value: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
    ? got(maskRedisUrl(value))
    : ' (the value is not shown: it may hold a password)';
}

/**
 * The reason to add when the user name or password seems to hold a `/`, `?` or `#` written as is:
 * a URL's authority ends at the first of them, so the rest of the password and the host are read
 * as a path, a query or a fragment, and the value fails for a reason its message cannot name
 * (a port that is not a number, no host, a database such as `/x@redis`). Seen as any of those
 * characters before the last `@`, where maskRedisUrl ends the credentials too. Empty otherwise.
 */
function credentialsHint(value: string): string {
  const rest = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const at = rest.lastIndexOf('@');
  return at !== -1 && /[/?#]/.test(rest.slice(0, at))
    ? '; a / ? # or @ in the user name or password must be percent-encoded (%2F %3F %23 %40)'
    : '';
}

const CLUSTER_NODE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/**
 * A Redis Cluster given by some of its nodes: `redis-cluster://[user:password@]host:port,…`, or
 * `rediss-cluster://` for TLS (read by packages/queue's redis-address.ts, which this mirrors).
 */
function redisClusterUrl(value: string): Parsed<string> {
  const match = /^rediss?-cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/i.exec(value);
  if (!match) {
    return bad(
      `must be redis-cluster://[user:password@]host:port,host:port (no database path)${gotRedisUrl(value)}${credentialsHint(value)}`,
    );
  }
  const wrong = (match[2] ?? '').split(',').filter((item) => {
    const port = Number(CLUSTER_NODE.exec(item.trim())?.[2] ?? 0);
    return port < 1 || port > 65_535;
  });
  if (wrong.length > 0) {
    return bad(
      `every cluster node must be host:port; not: ${wrong.map((w) => JSON.stringify(maskUnlessPort(w))).join(', ')}`,
    );
  }
  const userinfo = match[1];
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const parts: [string, string][] = [
      [colon === -1 ? userinfo : userinfo.slice(0, colon), 'user name'],
      [colon === -1 ? '' : userinfo.slice(colon + 1), 'password'],
    ];
    const problem = percentEncodingProblem(parts, value);
    if (problem !== undefined) return bad(problem);
  }
  return ok(value);
}

/**
 * What is wrong with a URL's user name or password as percent-encoding, if anything: the Redis
 * address is decoded when the connection is made, and a stray `%` would stop the service at
 * start-up with a URIError that names no setting.
 */
function percentEncodingProblem(
  parts: readonly (readonly [string, string])[],
  value: string,
): string | undefined {
  for (const [part, name] of parts) {
    try {
      decodeURIComponent(part);
    } catch {
      return `the ${name} must be percent-encoded: a % must start %XX, and %25 stands for % itself${gotRedisUrl(value)}`;
    }
  }
  return undefined;
}

/** Whether `text` is a database number: a whole number in plain digits. */
function isDatabaseNumber(text: string): boolean {
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text));
}

/**
 * A `redis://` or `rediss://` (TLS) URL naming a host and, as its path, optionally a database
 * number (`/0` to `/15` on a Redis with the default 16 databases), or a Redis Cluster's node list
 * as `redis-cluster://` or `rediss-cluster://`.
 */
export const redisUrl: Parser<string> = (value) => {
  if (/^rediss?-cluster:/i.test(value)) return redisClusterUrl(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return bad(
      `must be a URL such as redis://127.0.0.1:6379${gotRedisUrl(value)}${credentialsHint(value)}`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return bad(
      `must start with redis:// or rediss:// (for TLS), or redis-cluster:// or rediss-cluster:// for a Redis Cluster${gotRedisUrl(value)}`,
    );
  }
  if (url.hostname === '') {
    return bad(`must name a host${gotRedisUrl(value)}${credentialsHint(value)}`);
  }
  // URL takes port 0; nothing listens there, and Redis would only seem to be away.
  if (url.port === '0') return bad(`the port must be from 1 to 65535${gotRedisUrl(value)}`);
  // ioredis takes the path as the database number and sends it to Redis unchecked: `/abc` would
  // stop the CLI with a stack trace from inside ioredis (SELECT NaN) that names no setting.
  // It also reads a `db` query parameter (the last of several), which a path may override: one
  // place only, the path.
  if (url.searchParams.has('db')) {
    return bad(
      `give the database as the path (redis://host:port/1), not as a db query parameter${gotRedisUrl(value)}`,
    );
  }
  // ioredis reads every query option into its own settings, ahead of the role's: a
  // `commandTimeout` there replaced the 5 s the REDIS_WAIT_TIMEOUT check relies on, `port` the
  // URL's port, `tls` made a redis:// URL use TLS that the TLS settings refused. Only the password
  // and the address family are a URL's to carry.
  const options = [...new Set(url.searchParams.keys())].filter(
    (name) => name !== 'password' && name !== 'family',
  );
  if (options.length > 0) {
    // A name that is no option's may be a password's unencoded tail (`:p@ss?w0rd@host`): not shown.
    const named = options.map((o) =>
      /^[A-Za-z][A-Za-z0-9_]*$/.test(o) ? JSON.stringify(o) : "(a name that is no option's)",
    );
    return bad(
      `takes no query options but password and family; not ${named.join(', ')} (the roles set their own Redis timeouts and retries; TLS is rediss://)${gotRedisUrl(value)}${credentialsHint(value)}`,
    );
  }
  const database = url.pathname.replace(/^\//, '');
  if (database !== '' && !isDatabaseNumber(database)) {
    return bad(
      `the database (the path after host:port) must be a whole number such as /0 or /1, or be left out for database 0${gotRedisUrl(value)}${credentialsHint(value)}`,
    );
  }
  const problem = percentEncodingProblem(
    [
      [url.username, 'user name'],
      [url.password, 'password'],
    ],
    value,
  );
  return problem === undefined ? ok(value) : bad(problem);
};
