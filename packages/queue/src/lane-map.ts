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
 * The hash slot of a lane's keys, asked of the cluster (`CLUSTER KEYSLOT`), so that no second
 * CRC16 implementation can disagree with Redis. A key's slot never changes: callers may keep it.
 */
export async function laneSlot(connection: Cluster, prefix: string, lane: number): Promise<number> {
  return Number(
    await connection.call('CLUSTER', 'KEYSLOT', `${prefix}:${laneQueueName(lane)}:wait`),
  );
}

/**
 * Where each lane's keys live. On a cluster, asks it for the slot of each lane's hash tag
 * (`laneSlot`) and reads the primary of that slot from the client's slot table.
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
      const slot = await laneSlot(connection, prefix, lane);
      return { lane, queue: laneQueueName(lane), slot, node: connection.slots[slot]?.[0] ?? '?' };
    }),
  );
}
