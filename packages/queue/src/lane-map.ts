import { Cluster } from 'ioredis';
import { laneQueueName } from './lane-queue-name.ts';
import { nodeAddress, whenFirstConnected, type RedisConnection } from './redis-connection.ts';

/** Where one lane lives: its queue and, on a Redis Cluster, its hash slot and the primary serving it. */
export interface LaneLocation {
  lane: number;
  /** The BullMQ queue name, whose braces are the hash tag of every key of the lane. */
  queue: string;
  /** The hash slot of the lane's keys on a cluster; undefined on a single Redis. */
  slot: number | undefined;
  /** `host:port` of the primary holding the lane's keys (the one Redis when not a cluster). */
  node: string;
}

/**
 * Where each lane's keys live. On a cluster, asks it for the slot of each lane's hash tag
 * (`CLUSTER KEYSLOT`, so no second CRC16 implementation can disagree with Redis) and reads the
 * primary of that slot from the client's slot table.
 */
export async function readLaneLocations(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
): Promise<LaneLocation[]> {
  if (!(connection instanceof Cluster)) {
    const node = nodeAddress(connection);
    return lanes.map((lane) => ({ lane, queue: laneQueueName(lane), slot: undefined, node }));
  }
  await whenFirstConnected(connection, 5000);
  return Promise.all(
    lanes.map(async (lane) => {
      const queue = laneQueueName(lane);
      const slot = Number(await connection.call('CLUSTER', 'KEYSLOT', `${prefix}:${queue}:wait`));
      return { lane, queue, slot, node: connection.slots[slot]?.[0] ?? '?' };
    }),
  );
}
