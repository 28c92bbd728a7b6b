// Setting each lane to one active job, on the real Redis, through a connection that answers a
// lane's meta write the way a Redis Cluster that is still forming does.
import { createTestQueuePrefix, type TestQueuePrefix } from '@commitlog/testkit';
import { ReplyError as UntypedReplyError, type Command } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { holdEachLaneToOne, restoreLaneLimits } from './lane-concurrency.ts';
import { laneQueueName } from './lane-queue-name.ts';
import {
  createRedisConnection,
  whenFirstConnected,
  type RedisConnection,
} from './redis-connection.ts';

/** ioredis's own class for Redis's error replies (its type is `any`). */
const ReplyError = UntypedReplyError as new (message: string) => Error;

describe('holdEachLaneToOne on the real Redis', () => {
  let space: TestQueuePrefix;
  let connection: RedisConnection;

  beforeEach(async () => {
    space = createTestQueuePrefix();
    connection = createRedisConnection({ url: space.redisUrl, role: 'worker', onError() {} });
    await whenFirstConnected(connection, 10_000);
  });

  afterEach(async () => {
    connection.disconnect();
    await space.cleanup();
  });

  const metaKey = (lane: number) => `${space.prefix}:${laneQueueName(lane)}:meta`;

  /** The next `times` writes of lane 1's meta (its script) are answered `reply` instead of run. */
  function refuseMetaWrites(reply: string, times: number): { refused: () => number } {
    const send = connection.sendCommand.bind(connection);
    let refused = 0;
    connection.sendCommand = ((command: Command, stream?: Parameters<typeof send>[1]) => {
      const write = ['evalsha', 'eval'].includes(command.name);
      if (write && command.args.map(String).includes(metaKey(1)) && refused < times) {
        refused++;
        command.reject(new ReplyError(reply));
        return command.promise;
      }
      return send(command, stream);
    }) as typeof connection.sendCommand;
    return { refused: () => refused };
  }

  it('asks again while the cluster settles (CLUSTERDOWN), and sets every lane', async () => {
    const writes = refuseMetaWrites('CLUSTERDOWN The cluster is down', 2);
    const retried: number[] = [];
    await holdEachLaneToOne(connection, space.prefix, [0, 1, 2], {
      stopped: () => false,
      onRetry: (lane) => retried.push(lane),
    });
    expect(writes.refused()).toBe(2);
    expect(retried).toEqual([1, 1]);
    for (const lane of [0, 1, 2]) {
      expect(await connection.hget(metaKey(lane), 'concurrency')).toBe('1');
    }
  });

  it('stops at a refusal no wait fixes, and once its start-up was stopped', async () => {
    refuseMetaWrites("NOPERM this user has no permissions to run the 'hset' command", 1);
    await expect(
      holdEachLaneToOne(connection, space.prefix, [0, 1], { stopped: () => false }),
    ).rejects.toThrow(/NOPERM/);
    refuseMetaWrites('CLUSTERDOWN The cluster is down', 1);
    await expect(
      holdEachLaneToOne(connection, space.prefix, [1], { stopped: () => true }),
    ).rejects.toThrow(/CLUSTERDOWN/);
  });

  it('sets again the limit of a lane whose meta lost it, and names only those lanes', async () => {
    await holdEachLaneToOne(connection, space.prefix, [0, 1, 2], { stopped: () => false });
    expect(await restoreLaneLimits(connection, space.prefix, [0, 1, 2])).toEqual([]);
    await connection.hdel(metaKey(1), 'concurrency');
    await connection.hset(metaKey(2), 'concurrency', '4');
    expect(await restoreLaneLimits(connection, space.prefix, [0, 1, 2])).toEqual([1, 2]);
    for (const lane of [0, 1, 2]) {
      expect(await connection.hget(metaKey(lane), 'concurrency')).toBe('1');
    }
    expect(await restoreLaneLimits(connection, space.prefix, [0, 1, 2])).toEqual([]);
  });
});
