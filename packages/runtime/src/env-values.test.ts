import { describe, expect, it } from 'vitest';
import {
  boolean,
  brokers,
  duration,
  trustProxy,
  integer,
  listenHost,
  oneOf,
  port,
  redisUrl,
  secrets,
  type Parsed,
} from './env-values.ts';

function value<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(`expected a value, got: ${parsed.message}`);
  return parsed.value;
}

function message(parsed: Parsed<unknown>): string {
  if (parsed.ok) throw new Error('expected a problem');
  return parsed.message;
}

describe('environment value parsers', () => {
  it('integer: plain digits within bounds', () => {
    expect(value(integer(1, 10)('10'))).toBe(10);
    expect(value(integer(1)('123456789'))).toBe(123_456_789);
    for (const text of ['0', '11', '-1', '1e3', '0x10', '1_000', '1.0', 'ten']) {
      expect(integer(1, 10)(text).ok, text).toBe(false);
    }
    expect(message(integer(1)('0'))).toBe('must be an integer of at least 1 (got "0")');
    expect(message(port('65536'))).toBe('must be an integer from 1 to 65535 (got "65536")');
  });

  it('duration: above zero', () => {
    expect(value(duration('30s'))).toBe(30_000);
    expect(message(duration('0s'))).toMatch(/^must be a duration above zero .* \(got "0s"\)$/);
    expect(message(duration('1209600'))).toBe(
      'must say its unit, such as 1209600ms or 1209600s: a bare number could mean either (got "1209600")',
    );
  });

  it('oneOf and boolean: case-insensitive words', () => {
    expect(value(oneOf(['info', 'warn'])('WARN'))).toBe('warn');
    expect(message(oneOf(['info', 'warn'])('loud'))).toBe('must be one of info, warn (got "loud")');
    expect(value(boolean('False'))).toBe(false);
    expect(value(boolean('true'))).toBe(true);
    expect(boolean('1').ok).toBe(false);
  });

  it('listenHost: names and addresses, nothing else', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::', 'localhost', 'ingest_1.svc']) {
      expect(value(listenHost(host))).toBe(host);
    }
    for (const host of ['http://x', 'a b', '[::1]']) expect(listenHost(host).ok, host).toBe(false);
  });

  it('redisUrl: redis:// or rediss:// with a host', () => {
    expect(value(redisUrl('redis://127.0.0.1:6379'))).toBe('redis://127.0.0.1:6379');
    expect(value(redisUrl('rediss://user:pw@redis/3'))).toBe('rediss://user:pw@redis/3');
    expect(message(redisUrl('redis:///0'))).toBe('must name a host (got "redis:///0")');
    expect(message(redisUrl('redis://:pw@redis:99999'))).toBe(
      'must be a URL such as redis://127.0.0.1:6379 (got "redis://:***@redis:99999")',
    );
    expect(message(redisUrl('http://redis:6379'))).toBe(
      'must start with redis:// or rediss:// (for TLS), or redis-cluster:// or rediss-cluster:// for a Redis Cluster (got "http://redis:6379")',
    );
    expect(message(redisUrl('localhost:6379'))).toBe(
      'must start with redis:// or rediss:// (for TLS), or redis-cluster:// or rediss-cluster:// for a Redis Cluster (the value is not shown: it may hold a password)',
    );
    expect(message(redisUrl('just text'))).toBe(
      'must be a URL such as redis://127.0.0.1:6379 (the value is not shown: it may hold a password)',
    );
  });

  it('redisUrl: takes no query options but the password and the address family', () => {
    expect(value(redisUrl('redis://redis:6379/0?password=x&family=6'))).toBe(
      'redis://redis:6379/0?password=x&family=6',
    );
    expect(message(redisUrl('redis://redis:6379?commandTimeout=5s&port=1&tls=true'))).toMatch(
      /^takes no query options but password and family; not "commandTimeout", "port", "tls" /,
    );
    expect(
      message(redisUrl('redis://redis:6379?password=hunter2&maxRetriesPerRequest=3')),
    ).not.toContain('hunter2');
    // An unencoded ? in a password makes its tail a "query": never shown.
    expect(message(redisUrl('redis://:p@ss?w0rdSECRET@redis:6379'))).not.toContain('w0rdSECRET');
  });

  it('redisUrl: a database, when given, is a whole number', () => {
    // Whether Redis has that many databases only Redis knows: the connection checks it.
    for (const url of [
      'redis://redis:6379',
      'redis://redis:6379/',
      'redis://redis:6379/0',
      'redis://redis:6379/15',
      'redis://redis:6379/99',
      'rediss://redis:6380/2?family=6',
    ]) {
      expect(value(redisUrl(url))).toBe(url);
    }
    for (const url of [
      'redis://redis:6379/abc',
      'redis://redis:6379/-1',
      'redis://redis:6379/1.5',
      'redis://redis:6379/1/2',
      'redis://redis:6379/0/',
      'redis://redis:6379/%31',
      'redis://redis:6379/99999999999999999999',
      'redis://redis:6379?db=abc',
      'redis://redis:6379/?db=',
      // Two places for the database (or two in the query): which one ioredis uses is not obvious.
      'rediss://redis:6380/2?db=2',
      'redis://redis:6379/0?db=99',
      'redis://redis:6379?db=2&db=0',
    ]) {
      expect(redisUrl(url).ok, url).toBe(false);
    }
    expect(message(redisUrl('redis://app:hunter2@redis:6379/0?db=9'))).toBe(
      'give the database as the path (redis://host:port/1), not as a db query parameter (got "redis://app:***@redis:6379/0?db=9")',
    );
    expect(message(redisUrl('redis://app:hunter2@127.0.0.1:6379/abc'))).toBe(
      'the database (the path after host:port) must be a whole number such as /0 or /1, or be left out for database 0 (got "redis://app:***@127.0.0.1:6379/abc")',
    );
  });

  it('redisUrl: never shows a password written without percent-encoding, and refuses a stray %', () => {
    for (const url of [
      'redis://app:Ab3/xY9+kQ@redis.internal:6379',
      'redis://app:Ab3#xY9kQ@redis.internal:6379',
      'redis-cluster://app:Ab3/xY9kQ@n1:6379,n2:6379',
    ]) {
      const refused = redisUrl(url);
      expect(refused.ok, url).toBe(false);
      expect(message(refused)).not.toMatch(/Ab3|xY9/);
    }
    expect(message(redisUrl('redis://:ab%zzcd@redis:6379'))).toBe(
      'the password must be percent-encoded: a % must start %XX, and %25 stands for % itself (got "redis://:***@redis:6379")',
    );
    expect(value(redisUrl('redis://:ab%25cd@redis:6379'))).toBe('redis://:ab%25cd@redis:6379');
    // A cluster's user name and password are decoded as well (packages/queue's redis-address.ts).
    const cluster = message(redisUrl('redis-cluster://app:50%off@n1:7000,n2:7000'));
    expect(cluster).toMatch(/^the password must be percent-encoded: a % must start %XX/);
    expect(cluster).not.toContain('50%off');
    expect(message(redisUrl('rediss-cluster://a%g:pw@n1:7000'))).toMatch(
      /^the user name must be percent-encoded/,
    );
    const encoded = 'redis-cluster://app:50%25off@n1:7000,n2:7000';
    expect(value(redisUrl(encoded))).toBe(encoded);
  });

  it('redisUrl: a Redis Cluster as redis-cluster:// with a node list', () => {
    const cluster = 'redis-cluster://:pw@r1:7000,r2:7001,[::1]:7002';
    expect(value(redisUrl(cluster))).toBe(cluster);
    expect(value(redisUrl('rediss-cluster://r1:7000'))).toBe('rediss-cluster://r1:7000');
    expect(message(redisUrl('redis-cluster://:pw@r1:7000,r2'))).toBe(
      'every cluster node must be host:port; not: "r2"',
    );
    // An item that is no host:port may be a password whose @host was left out.
    expect(message(redisUrl('redis-cluster://default:s3cr3t,h:6379'))).toBe(
      'every cluster node must be host:port; not: "default:***"',
    );
    expect(message(redisUrl('redis://default:Tr0ub4dor-3'))).not.toContain('Tr0ub4dor');
    expect(message(redisUrl('redis://redis:0'))).toBe(
      'the port must be from 1 to 65535 (got "redis://redis:0")',
    );
    expect(message(redisUrl('redis-cluster://:pw@r1:7000/0'))).toBe(
      'must be redis-cluster://[user:password@]host:port,host:port (no database path) (got "redis-cluster://:***@r1:7000/0")',
    );
  });

  it('brokers: host:port items, IPv6 in brackets, empty items ignored', () => {
    expect(value(brokers('a:1, b.c:9092 ,[fe80::1]:9093,'))).toEqual([
      'a:1',
      'b.c:9092',
      '[fe80::1]:9093',
    ]);
    expect(message(brokers(','))).toBe('must list at least one host:port (got ",")');
    expect(message(brokers('a:99999,fe80::1:9092'))).toBe(
      'each broker must be host:port with a port from 1 to 65535; not "a:99999", "fe80::1:9092"',
    );
    // What follows the colon is no port, and may be a password: named by its place.
    expect(message(brokers('a:9092,kafka:s3cr3tpw'))).toMatch(
      /^each broker must be host:port .*; not broker 2 of 2 \(a broker named by its place is not shown/,
    );
  });

  it('brokers: one written with a login or as a URL is named by its place, never repeated', () => {
    const problem = message(brokers('kafka-0:9093, alice:S3cret@kafka:9093,sasl_ssl://kafka:9093'));
    expect(problem).toBe(
      'each broker must be host:port with a port from 1 to 65535; not broker 2 of 3, broker 3 of 3 ' +
        '(a broker named by its place is not shown, since it may hold a password; a login goes in KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD)',
    );
    expect(problem).not.toContain('S3cret');
    expect(problem).not.toContain('alice');
  });

  it('secrets: one or two, long enough, never repeated in a message', () => {
    const a = 'a'.repeat(32);
    expect(value(secrets(a))).toEqual([a]);
    expect(value(secrets(`${a}, ${a}b ,`))).toEqual([a, `${a}b`]);
    const problem = message(secrets('short1,short22'));
    expect(problem).toBe(
      'secret 1 of 2 is 6 characters long, secret 2 of 2 is 7 characters long; each must be at least 32 (values are not shown)',
    );
    expect(message(secrets(' , '))).toBe(
      'must hold 1 or 2 comma-separated secrets of at least 32 characters each',
    );
  });

  it('trustProxy: a number of hops, or addresses, ranges and names', () => {
    expect(value(trustProxy('1'))).toBe(1);
    expect(value(trustProxy('10.0.0.0/8, loopback,::1'))).toEqual([
      '10.0.0.0/8',
      'loopback',
      '::1',
    ]);
    for (const bad of ['0', '11', 'proxy.internal', '10.0.0.0/33', '10.0.0.1/8/2', ',']) {
      expect(trustProxy(bad).ok, bad).toBe(false);
    }
  });
});
