// The safety reading against real redis-servers: a replica is refused, its primary accepted; a
// Redis without maxmemory, or fsyncing its AOF once a second, is warned of.
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

  const connect = (server: Pick<PrivateRedis, 'url'>): RedisConnection => {
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

  it('warns of no maxmemory and of appendfsync everysec, and of no fsync policy it cannot read', async () => {
    const redis = await startPrivateRedis({ appendfsync: 'everysec', maxmemoryBytes: 0 });
    servers.push(redis);
    const admin = connect(redis);

    const required = await checkRedisSafety(admin, { requireAof: true });
    expect(required.safe).toBe(true);
    expect(required.warnings).toEqual([
      expect.stringContaining('maxmemory is 0 (no limit)'),
      expect.stringMatching(
        /^appendfsync is everysec, not always: .*up to about 2 s.*\(REDIS_REQUIRE_AOF requires AOF on/,
      ),
    ]);

    // A user that may not run CONFIG, as on a managed Redis: appendfsync is unknown, not a risk.
    await admin.call(
      'ACL',
      'SETUSER',
      'no-config',
      'on',
      '>a-password',
      '~*',
      '&*',
      '+@all',
      '-config',
    );
    const limited = await checkRedisSafety(
      connect({ url: redis.url.replace('redis://', 'redis://no-config:a-password@') }),
    );
    expect(limited.safe).toBe(true);
    expect(limited.warnings).toEqual([expect.stringContaining('maxmemory is 0')]);

    await admin.config('SET', 'maxmemory', String(256 * 1024 * 1024));
    await admin.config('SET', 'appendfsync', 'always');
    expect((await checkRedisSafety(admin)).warnings).toEqual([]);
  });
});
