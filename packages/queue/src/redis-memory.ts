import type { Redis } from 'ioredis';
import { dataNodes, nodeAddress, type RedisConnection } from './redis-connection.ts';
import { parseInfo } from './redis-safety.ts';

/** How much of its `maxmemory` a Redis (or, on a cluster, its fullest primary) uses. */
export interface RedisMemory {
  usedBytes: number;
  /** `maxmemory`: 0 when it has none. */
  maxBytes: number;
  /** `host:port` of the node, on a cluster; undefined for a single Redis. */
  node: string | undefined;
}

/**
 * The memory an `INFO memory` reply counts against `maxmemory`, as Redis itself does before it
 * refuses a write: `used_memory` less `mem_not_counted_for_evict` (its AOF buffer and replicas'
 * output buffers). Those swell for a moment (a slow disk holds AOF writes back for up to 2 s, a
 * replica's full sync buffers everything written meanwhile) and drain again; counted, they
 * refused commits (503) that Redis would have stored. A Redis that does not report the field
 * (older, or another server speaking its protocol) is read by `used_memory` alone.
 */
export function parseMemoryInfo(info: string): { usedBytes: number; maxBytes: number } {
  const fields = parseInfo(info);
  const number = (name: string): number => {
    const value = Number(fields.get(name));
    if (!Number.isFinite(value)) throw new Error(`INFO memory has no ${name}`);
    return value;
  };
  const notCounted = fields.has('mem_not_counted_for_evict')
    ? number('mem_not_counted_for_evict')
    : 0;
  return {
    usedBytes: Math.max(0, number('used_memory') - notCounted),
    maxBytes: number('maxmemory'),
  };
}

/**
 * Reads how full Redis is. On a cluster every primary is read, and the one nearest its own
 * `maxmemory` is returned: it is the one whose lanes stop first.
 */
export async function readRedisMemory(client: RedisConnection): Promise<RedisMemory> {
  const nodes = dataNodes(client);
  if (nodes.length === 0) throw new Error('no node of the Redis Cluster is known yet');
  const single = nodes.length === 1 && nodes[0] === client;
  const readings = await Promise.all(
    nodes.map(async (node: Redis) => ({
      ...parseMemoryInfo(await node.info('memory')),
      node: single ? undefined : nodeAddress(node),
    })),
  );
  const share = (m: RedisMemory): number => (m.maxBytes > 0 ? m.usedBytes / m.maxBytes : 0);
  return readings.reduce((fullest, m) => (share(m) > share(fullest) ? m : fullest));
}
