import { describe, expect, it } from 'vitest';
import { parseRedisAddress } from './redis-address.ts';

describe('parseRedisAddress', () => {
  it('passes a single-node URL through as written', () => {
    expect(parseRedisAddress('redis://:pw@redis:6379/2')).toEqual({
      kind: 'single',
      url: 'redis://:pw@redis:6379/2',
    });
  });

  it('reads a cluster node list with its credentials and TLS', () => {
    expect(parseRedisAddress('rediss-cluster://app:p%40ss@r1:7000,r2:7001,[::1]:7002')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'r1', port: 7000 },
        { host: 'r2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
    expect(parseRedisAddress('redis-cluster://:secret@127.0.0.1:7000')).toMatchObject({
      username: undefined,
      password: 'secret',
      tls: false,
    });
  });

  it('refuses a malformed node or a database path, without showing the password', () => {
    expect(() => parseRedisAddress('redis-cluster://:hunter2@r1:7000,r2')).toThrow(
      /host:port, got "r2"/,
    );
    expect(() => parseRedisAddress('redis-cluster://:hunter2@r1:7000/3')).toThrow(/no path/);
    expect(() => parseRedisAddress('redis-cluster://:hunter2@r1:7000/3')).not.toThrow(/hunter2/);
  });
});
