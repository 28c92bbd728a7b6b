import { Cluster, type Redis } from 'ioredis';
import { CommitlogError } from '@commitlog/core';
import { laneSlot } from './lane-map.ts';
import { nodeAddress, type RedisConnection } from './redis-connection.ts';

/** How many replicas must hold a store before its commits are answered, and how long to wait. */
export interface ReplicaWait {
  /** Replicas that must acknowledge each store (Redis `WAIT`). */
  count: number;
  /** The longest a store waits for them, ms (at least 1: `WAIT … 0` waits for ever). */
  timeoutMs: number;
}

/**
 * Fewer replicas than asked acknowledged a store in time. The commits are in the primary but
 * answered 503: a failover now would lose them, and the hook's retry finds them stored (202,
 * `duplicate: true`) once a replica has caught up.
 */
export class ReplicasBehindError extends CommitlogError {
  constructor(node: string, acknowledged: number, wait: ReplicaWait) {
    super(
      'REPLICAS_BEHIND',
      `${acknowledged} of the ${wait.count} replicas of ${node} that REDIS_WAIT_REPLICAS asks for acknowledged the store within ${wait.timeoutMs} ms`,
      { retriable: true },
    );
  }
}

/**
 * The client of each node that took the stores of `lanes`, by lane: the one Redis, or on a cluster
 * the primary of each lane's slot (from the client's slot table: `WAIT` counts the writes of the
 * connection it is sent on, which is that node's).
 */
async function nodesOf(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  slots: Map<number, number>,
): Promise<Map<number, { client: Redis; address: string }>> {
  const nodes = new Map<number, { client: Redis; address: string }>();
  if (!(connection instanceof Cluster)) {
    const address = nodeAddress(connection);
    for (const lane of lanes) nodes.set(lane, { client: connection, address });
    return nodes;
  }
  const primaries = new Map(connection.nodes('master').map((node) => [nodeAddress(node), node]));
  for (const lane of lanes) {
    let slot = slots.get(lane);
    if (slot === undefined) {
      slot = await laneSlot(connection, prefix, lane);
      slots.set(lane, slot);
    }
    const address = connection.slots[slot]?.[0];
    const client = address === undefined ? undefined : primaries.get(address);
    if (client === undefined || address === undefined) {
      throw new Error(`no primary of the Redis Cluster is known for lane ${lane} (slot ${slot})`);
    }
    nodes.set(lane, { client, address });
  }
  return nodes;
}

/**
 * Waits until `wait.count` replicas of each node that took stores of `lanes` hold them, at most
 * `wait.timeoutMs`. Resolves with the lanes whose node's replicas fell short, and why; a lane
 * whose `WAIT` failed (the node gone) is among them. `slots` keeps each lane's hash slot on a
 * cluster between calls.
 */
export async function waitForReplicas(
  connection: RedisConnection,
  prefix: string,
  lanes: readonly number[],
  wait: ReplicaWait,
  slots: Map<number, number> = new Map(),
): Promise<Map<number, Error>> {
  const behind = new Map<number, Error>();
  const byNode = new Map<Redis, { address: string; lanes: number[] }>();
  for (const [lane, { client, address }] of await nodesOf(connection, prefix, lanes, slots)) {
    const entry = byNode.get(client) ?? { address, lanes: [] };
    entry.lanes.push(lane);
    byNode.set(client, entry);
  }
  await Promise.all(
    [...byNode].map(async ([client, { address, lanes: nodeLanes }]) => {
      const outcome: Error | undefined = await client
        .call('WAIT', String(wait.count), String(wait.timeoutMs))
        .then(
          (acknowledged) =>
            Number(acknowledged) >= wait.count
              ? undefined
              : new ReplicasBehindError(address, Number(acknowledged), wait),
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        );
      if (outcome) for (const lane of nodeLanes) behind.set(lane, outcome);
    }),
  );
  return behind;
}
