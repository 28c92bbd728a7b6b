import { Cluster, type Redis } from 'ioredis';
import { CommitlogError } from '@commitlog/core';
import { laneSlot } from './lane-map.ts';
import { laneQueueName } from './lane-queue-name.ts';
import { luaScript } from './lua-script.ts';
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
    const behind = (of: string) =>
      `${acknowledged} of the ${wait.count} replicas${of} that REDIS_WAIT_REPLICAS asks for acknowledged the store within ${wait.timeoutMs} ms`;
    super('REPLICAS_BEHIND', behind(` of ${node}`), {
      retriable: true,
      clientMessage: behind(''),
    });
  }
}

/**
 * Inputs: KEYS[1] a key of a lane on the node; ARGV[1] how long it lives, ms. A write of this
 * connection's own, just before its `WAIT`. Redis documents `WAIT` as waiting for the previous
 * writes of the connection it is sent on, and a store may hold commits that another connection
 * wrote (another ingest's, or this ingest's before a reconnection), which a retry finds stored
 * with a read. Redis 7.0 in fact waits for the offset after the connection's last command of
 * any kind, that read included; this write makes the wait hold as documented too: written after
 * those commits, it is acknowledged by a replica only once the replica holds them.
 * `allow-oom`: a Redis at its maxmemory still holds those commits, and a retry of them is answered.
 * Output: 1. Errors: READONLY (the node is a replica now), NOPERM (an ACL without SET on the
 * key), MISCONF or NOREPLICAS (Redis refuses writes): the lanes of that node are refused.
 */
const WRITE_BEFORE_WAIT = luaScript(`#!lua flags=allow-oom
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return 1
`);

/** How long the key `WRITE_BEFORE_WAIT` writes lives. */
const WRITE_BEFORE_WAIT_TTL_MS = 60_000;

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
 * Waits until `wait.count` replicas of each node that took stores of `lanes` hold them (and
 * everything else written to that node before), at most `wait.timeoutMs`. Resolves with the
 * lanes whose node's replicas fell short, and why; a lane whose write or `WAIT` failed (the node
 * gone, or a replica now) is among them. `slots` keeps each lane's hash slot on a
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
  const byNode = new Map<Redis, { address: string; lanes: [number, ...number[]] }>();
  for (const [lane, { client, address }] of await nodesOf(connection, prefix, lanes, slots)) {
    const entry = byNode.get(client);
    if (entry) entry.lanes.push(lane);
    else byNode.set(client, { address, lanes: [lane] });
  }
  await Promise.all(
    [...byNode].map(async ([client, { address, lanes: nodeLanes }]) => {
      // Sent in full (no NOSCRIPT retry) so that the WAIT sent behind it runs after it.
      const written = WRITE_BEFORE_WAIT.runInOrder(
        client,
        [`${prefix}:${laneQueueName(nodeLanes[0])}:replica-wait`],
        [WRITE_BEFORE_WAIT_TTL_MS],
      );
      const waited = client.call('WAIT', String(wait.count), String(wait.timeoutMs));
      const outcome: Error | undefined = await Promise.all([written, waited])
        .then(([, acknowledged]) => acknowledged)
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
