// The safety reading against real redis-servers: a replica is refused, its primary accepted.
import { startPrivateRedis, waitFor, type PrivateRedis } from '@commitlog/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisConnection, type RedisConnection } from './redis-connection.ts';
import { checkRedisSafety } from './redis-safety.ts';

describe('checkRedisSafety on real servers', () => {
  const servers: PrivateRedis[] = [];
  const connections: RedisConnection[] = [];
  afterEach(async () => {
    for (const c of connections.splice(0)) c.disconnect();
    for (const s of servers.splice(0)) await s.cleanup();
  });

  const connect = (server: PrivateRedis): RedisConnection => {
    const connection = createRedisConnection({
      url: server.url,
      // Waits for the connection rather than failing a command sent before it is up.
      role: 'worker',
      onError: () => undefined,
    });
    connections.push(connection);
    return connection;
  };

  it('refuses a replica (REDIS_URL left on an old primary after a failover)', async () => {
    const [primary, replica] = [await startPrivateRedis(), await startPrivateRedis()];
    servers.push(primary, replica);
    const toReplica = connect(replica);
    await toReplica.replicaof('127.0.0.1', String(primary.port));
    await waitFor(
      async () => (await toReplica.info('replication')).includes('master_link_status:up'),
      {
        description: 'the replica linked to its primary',
      },
    );

    const refused = await checkRedisSafety(toReplica);
    expect(refused.safe).toBe(false);
    expect(refused.problems).toEqual([expect.stringContaining('is a replica (role:slave)')]);
    expect((await checkRedisSafety(connect(primary))).safe).toBe(true);
  });
});
