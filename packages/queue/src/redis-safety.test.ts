import { describe, expect, it } from 'vitest';
import { judgeRedisInfo, parseInfo } from './redis-safety.ts';

const info = (policy: string, aof: string): string =>
  `# Memory\r\nused_memory:1000\r\nmaxmemory_policy:${policy}\r\n# Persistence\r\naof_enabled:${aof}\r\n# Server\r\nredis_version:7.0.15\r\n`;

describe('judgeRedisInfo', () => {
  it('refuses a node of a Redis Cluster reached as one Redis, and takes it through a cluster address', () => {
    const node = `${info('noeviction', '1')}# Cluster\r\ncluster_enabled:1\r\n`;
    const single = judgeRedisInfo(node);
    expect(single.safe).toBe(false);
    expect(single.problems).toEqual([expect.stringContaining('redis-cluster://')]);
    expect(single.onlyAReplica).toBeUndefined();
    expect(judgeRedisInfo(node, {}, true).safe).toBe(true);
    expect(judgeRedisInfo(`${info('noeviction', '1')}cluster_enabled:0\r\n`).safe).toBe(true);
  });

  it('accepts noeviction with AOF on, without warnings', () => {
    const safety = judgeRedisInfo(info('noeviction', '1'));
    expect(safety).toMatchObject({ safe: true, problems: [], warnings: [], aofEnabled: true });
    expect(safety.redisVersion).toBe('7.0.15');
  });

  it('refuses any eviction policy, naming it and the fix', () => {
    for (const policy of ['allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-ttl']) {
      const safety = judgeRedisInfo(info(policy, '1'));
      expect(safety.safe).toBe(false);
      expect(safety.problems[0]).toContain(policy);
      expect(safety.problems[0]).toContain('noeviction');
    }
  });

  it('refuses when the policy cannot be read at all', () => {
    expect(judgeRedisInfo('# Server\r\nredis_version:7.0.0\r\n').safe).toBe(false);
  });

  it('warns, without refusing, when AOF is off', () => {
    const safety = judgeRedisInfo(info('noeviction', '0'));
    expect(safety.safe).toBe(true);
    expect(safety.warnings).toEqual([expect.stringContaining('appendonly is off')]);
  });

  it('refuses AOF off when told to require it (REDIS_REQUIRE_AOF)', () => {
    const required = judgeRedisInfo(info('noeviction', '0'), { requireAof: true });
    expect(required.safe).toBe(false);
    expect(required.problems).toEqual([
      'appendonly is off: commits accepted since the last save are lost if Redis restarts; set appendonly yes (REDIS_REQUIRE_AOF is set)',
    ]);
    expect(required.warnings).toEqual([]);
    expect(judgeRedisInfo(info('noeviction', '1'), { requireAof: true }).safe).toBe(true);
  });

  it('refuses a replica, naming the fix, and accepts a primary or a reply without a role', () => {
    const replica = judgeRedisInfo(`${info('noeviction', '1')}# Replication\r\nrole:slave\r\n`);
    expect(replica.safe).toBe(false);
    expect(replica.problems).toEqual([
      'this Redis is a replica (role:slave): it cannot keep commits; point REDIS_URL at the primary',
    ]);
    expect(judgeRedisInfo(`${info('noeviction', '1')}role:master\r\n`).safe).toBe(true);
    expect(judgeRedisInfo(info('noeviction', '1')).safe).toBe(true);
    // Only a replica, and nothing else: what a worker's start-up waits out (a failover).
    expect(replica.onlyAReplica).toBe(true);
    const evicting = judgeRedisInfo(`${info('allkeys-lru', '1')}role:slave\r\n`);
    expect(evicting.onlyAReplica).toBeUndefined();
    expect(judgeRedisInfo(info('noeviction', '1')).onlyAReplica).toBeUndefined();
  });

  it('refuses a Redis older than 7.0, whose scripts cannot carry flags', () => {
    const older = judgeRedisInfo(info('noeviction', '1').replace('7.0.15', '6.2.14'));
    expect(older.safe).toBe(false);
    expect(older.problems).toEqual([
      "Redis 6.2.14 is older than 7.0, which commitlog's scripts need; upgrade it",
    ]);
    expect(judgeRedisInfo(info('noeviction', '1').replace('7.0.15', '8.2.1')).safe).toBe(true);
  });

  it('reads how many replicas are connected, and says nothing when INFO does not', () => {
    expect(judgeRedisInfo(`${info('noeviction', '1')}connected_slaves:2\r\n`)).toMatchObject({
      safe: true,
      connectedReplicas: 2,
    });
    expect(judgeRedisInfo(info('noeviction', '1')).connectedReplicas).toBeUndefined();
  });

  it('warns, without refusing, of a Redis without maxmemory, saying what happens and what to set', () => {
    const unlimited = judgeRedisInfo(`${info('noeviction', '1')}maxmemory:0\r\n`);
    expect(unlimited.safe).toBe(true);
    expect(unlimited.warnings).toEqual([
      "maxmemory is 0 (no limit): Redis grows until the OS or its container's memory limit kills it, every role stalls meanwhile, and the ingest's refusal past 95 % of maxmemory is off; set maxmemory below the memory Redis may use (README, Sizing)",
    ]);
    expect(judgeRedisInfo(`${info('noeviction', '1')}maxmemory:2147483648\r\n`).warnings).toEqual(
      [],
    );
    // A reply without the field says nothing of it.
    expect(judgeRedisInfo(info('noeviction', '1')).warnings).toEqual([]);
  });

  it('warns, without refusing, of AOF that is not fsynced on every write, where CONFIG could read it', () => {
    const everysec = judgeRedisInfo(info('noeviction', '1'), {}, false, {
      appendfsync: 'everysec',
    });
    expect(everysec.safe).toBe(true);
    expect(everysec.warnings).toEqual([
      'appendfsync is everysec, not always: Redis may lose up to about 2 s of accepted commits on a host crash or power loss, and on a Redis crash when the disk is slow; set appendfsync always',
    ]);
    const osFlushes = judgeRedisInfo(info('noeviction', '1'), {}, false, { appendfsync: 'no' });
    expect(osFlushes.warnings).toEqual([expect.stringContaining('up to about 30 s')]);
    const fsynced = judgeRedisInfo(info('noeviction', '1'), {}, false, { appendfsync: 'always' });
    expect(fsynced.warnings).toEqual([]);
    // CONFIG refused (managed Redis): unknown, no warning.
    const unread = judgeRedisInfo(info('noeviction', '1'), {}, false, { appendfsync: undefined });
    expect(unread.warnings).toEqual([]);
    // AOF off: the fsync policy of an AOF never written does not matter.
    const off = judgeRedisInfo(info('noeviction', '0'), {}, false, { appendfsync: 'everysec' });
    expect(off.warnings).toEqual([expect.stringContaining('appendonly is off')]);
  });

  it('takes everysec under REDIS_REQUIRE_AOF, saying that it does not cover the fsync', () => {
    const required = judgeRedisInfo(info('noeviction', '1'), { requireAof: true }, false, {
      appendfsync: 'everysec',
    });
    expect(required.safe).toBe(true);
    expect(required.problems).toEqual([]);
    expect(required.warnings).toEqual([
      'appendfsync is everysec, not always: Redis may lose up to about 2 s of accepted commits on a host crash or power loss, and on a Redis crash when the disk is slow (REDIS_REQUIRE_AOF requires AOF on, not an fsync of every write); set appendfsync always',
    ]);
  });

  it('parses INFO lines and skips section headers', () => {
    expect([...parseInfo('# Memory\r\na:1\r\nb:x:y\r\n')]).toEqual([
      ['a', '1'],
      ['b', 'x:y'],
    ]);
  });
});
