/**
 * Where Redis is, from the one string every role reads (`REDIS_URL`):
 * - `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS): one Redis (or a proxy);
 * - `redis-cluster://[user:password@]host:port,host:port,…` or `rediss-cluster://…` (TLS): a
 *   Redis Cluster, given by some of its nodes (the client learns the others from them). A cluster
 *   has no databases, so no `/db`.
 * One string rather than a second variable keeps every role, command and test that passes a
 * Redis address working on both without knowing which it is.
 */
export type RedisAddress =
  | { kind: 'single'; url: string }
  | {
      kind: 'cluster';
      nodes: { host: string; port: number }[];
      username: string | undefined;
      password: string | undefined;
      tls: boolean;
    };

const CLUSTER_URL = /^(rediss?)-cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/i;
const NODE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/** Whether a Redis address names a cluster (without checking the rest of it). */
export function isClusterAddress(url: string): boolean {
  return /^rediss?-cluster:/i.test(url);
}

/** Reads a Redis address; throws a `RangeError` (never showing the password) when it is wrong. */
export function parseRedisAddress(url: string): RedisAddress {
  if (!isClusterAddress(url)) return { kind: 'single', url };
  const match = CLUSTER_URL.exec(url);
  if (!match) {
    throw new RangeError(
      'a cluster address is redis-cluster://[user:password@]host:port,host:port (no path)',
    );
  }
  const [, scheme = '', userinfo, list = ''] = match;
  const nodes = list.split(',').map((item) => {
    const node = NODE.exec(item.trim());
    const port = Number(node?.[2] ?? 0);
    if (!node || port < 1 || port > 65_535) {
      throw new RangeError(`a cluster node must be host:port, got ${JSON.stringify(item)}`);
    }
    return { host: (node[1] ?? '').replace(/^\[|\]$/g, ''), port };
  });
  const colon = userinfo?.indexOf(':') ?? -1;
  const decode = (text: string): string | undefined =>
    text === '' ? undefined : decodeURIComponent(text);
  return {
    kind: 'cluster',
    nodes,
    username:
      userinfo === undefined
        ? undefined
        : decode(colon === -1 ? userinfo : userinfo.slice(0, colon)),
    password:
      userinfo === undefined || colon === -1 ? undefined : decode(userinfo.slice(colon + 1)),
    tls: scheme.toLowerCase() === 'rediss',
  };
}
