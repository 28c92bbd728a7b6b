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

/** The `used_memory` and `maxmemory` of an `INFO memory` reply. */
export function parseMemoryInfo(info: string): { usedBytes: number; maxBytes: number } {
  const fields = parseInfo(info);
  const number = (name: string): number => {
    const value = Number(fields.get(name));
    if (!Number.isFinite(value)) throw new Error(`INFO memory has no ${name}`);
    return value;
  };
  return { usedBytes: number('used_memory'), maxBytes: number('maxmemory') };
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
