import { describe, expect, it } from 'vitest';
import { maskRedisUrl } from './redis-url.ts';

describe('maskRedisUrl', () => {
  it('masks the password of the userinfo, with or without a user name', () => {
    expect(maskRedisUrl('redis://:hunter2@redis.internal:6379/0')).toBe(
      'redis://:***@redis.internal:6379/0',
    );
    expect(maskRedisUrl('rediss://commitlog:p%40ss:w0rd@redis:6380')).toBe(
      'rediss://commitlog:***@redis:6380',
    );
    expect(maskRedisUrl('redis://:p@ss@redis')).toBe('redis://:***@redis');
  });

  it('masks a password written without percent-encoding, when the value does not parse', () => {
    for (const [url, masked] of [
      ['redis://app:Ab3/xY9+kQ@redis.internal:6379', 'redis://app:***@redis.internal:6379'],
      ['redis://app:Ab3#xY9kQ@redis.internal:6379', 'redis://app:***@redis.internal:6379'],
      ['redis://:a?b@redis', 'redis://:***@redis'],
      ['redis-cluster://app:Ab3/xY9kQ@n1:6379,n2:6379', 'redis-cluster://app:***@n1:6379,n2:6379'],
    ] as const) {
      expect(maskRedisUrl(url)).toBe(masked);
    }
  });

  it('masks what may be a password when the @ and host were left out', () => {
    expect(maskRedisUrl('redis://default:Tr0ub4dor-3')).toBe('redis://default:***');
    expect(maskRedisUrl('redis://default:s3cr3t/0')).toBe('redis://default:***/0');
    expect(maskRedisUrl('redis-cluster://default:s3cr3t,h:6379')).toBe(
      'redis-cluster://default:***,h:6379',
    );
    // A port is no secret.
    expect(maskRedisUrl('redis://redis:6379/0')).toBe('redis://redis:6379/0');
    expect(maskRedisUrl('redis-cluster://n1:6379,n2:6380')).toBe('redis-cluster://n1:6379,n2:6380');
  });

  it('masks a password given in the query string', () => {
    expect(maskRedisUrl('redis://redis:6379/?db=1&password=hunter2&family=6')).toBe(
      'redis://redis:6379/?db=1&password=***&family=6',
    );
  });

  it('masks a password after a comma, as some clouds write connection strings', () => {
    expect(maskRedisUrl('rediss://cache.example:6380,password=S3cr3tK3y=,ssl=True')).toBe(
      'rediss://cache.example:6380,password=***,ssl=True',
    );
    expect(maskRedisUrl('redis-cluster://h1:7000,password=S3cr3t')).toBe(
      'redis-cluster://h1:7000,password=***',
    );
  });

  it('keeps URLs without a password exactly as written', () => {
    for (const url of [
      'redis://127.0.0.1:6379',
      'redis://commitlog@redis:6379',
      'redis://user:@redis:6379',
      'redis://[::1]:6379/2',
      'not a url',
    ]) {
      expect(maskRedisUrl(url)).toBe(url);
    }
  });
});
