import { luaScript } from './lua-script.ts';
import type { RedisConnection } from './redis-connection.ts';

/** The hash of each Kafka topic's partition count as the workers last saw it. */
export function topicPartitionsKey(prefix: string): string {
  return `${prefix}:{meta}:topic-partitions`;
}

/** Sets a topic's count and answers the one it replaced, in one step for the whole fleet. */
const RECORD = luaScript(`
local before = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return before
`);

/**
 * Records `count` as `topic`'s partition count and answers the count recorded before it
 * (undefined the first time). Kept in Redis, not in a worker: a worker started after the change
 * still sees it, and of the workers that read the new count one only finds the old one, so the
 * change is reported once.
 */
export async function recordPartitionCount(
  connection: RedisConnection,
  prefix: string,
  topic: string,
  count: number,
): Promise<number | undefined> {
  const before = await RECORD.run(connection, [topicPartitionsKey(prefix)], [topic, count]);
  return typeof before === 'string' ? Number(before) : undefined;
}
