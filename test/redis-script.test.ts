// infra/redis/redis.sh (what `./commitlog up` and the test set-up run first): it never prints a
// URL's password (in its userinfo or its query), signs in as the roles read the URL (percent-
// decoded, ?password=), and leaves TLS and cluster addresses to the roles instead of refusing them.
import { createRedisConnection } from '@commitlog/queue';
import { freePort, startPrivateRedis } from '@commitlog/testkit';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../infra/redis/redis.sh', import.meta.url));
const PASSWORD = 'S3cret/Redis#Passw0rd';

function redisSh(url: string, command: string) {
  const run = spawnSync('bash', [script, command], {
    env: { PATH: process.env.PATH, REDIS_URL: url, REDIS_START_TIMEOUT: '2' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('infra/redis/redis.sh', () => {
  it('leaves a TLS or cluster address to the roles, and never prints its password', () => {
    for (const url of [
      `rediss://app:${PASSWORD}@redis.internal:6380`,
      `redis-cluster://app:${PASSWORD}@n1:6379,n2:6379`,
    ]) {
      for (const command of ['up', 'status', 'down']) {
        const run = redisSh(url, command);
        expect({ url, command, status: run.status }).toEqual({ url, command, status: 0 });
        expect(run.output).not.toContain('S3cret');
        expect(run.output).toContain('app:***@');
      }
    }
  });

  it('masks a password given in the query string, as the roles take it', () => {
    const tls = redisSh(`rediss://redis.internal:6380/0?password=${PASSWORD}`, 'status');
    expect(tls.status).toBe(0);
    expect(tls.output).toContain('?password=***');
    expect(tls.output).not.toContain('S3cret');
    // Nothing listens on port 1: not a "bad port", and still masked.
    const local = redisSh(`redis://127.0.0.1:1/0?foo=1&password=${PASSWORD}`, 'status');
    expect(local.status).toBe(3);
    expect(local.output).toContain('nothing answers PING on 127.0.0.1:1');
    expect(local.output).not.toContain('S3cret');
  });

  it('signs in with a password as the roles read it: percent-decoded, or from the query', async () => {
    const redis = await startPrivateRedis();
    const admin = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
    try {
      await admin.config('SET', 'requirepass', PASSWORD);
      const encoded = encodeURIComponent(PASSWORD);
      for (const url of [
        `redis://:${encoded}@127.0.0.1:${redis.port}`,
        `redis://default:${encoded}@127.0.0.1:${redis.port}/0`,
        `redis://127.0.0.1:${redis.port}/0?password=${encoded}`,
      ]) {
        const run = redisSh(url, 'status');
        expect({ url, status: run.status, output: run.output }).toMatchObject({ url, status: 0 });
        expect(run.output).toContain(`up on 127.0.0.1:${redis.port}`);
      }
      expect(redisSh(`redis://:wrong@127.0.0.1:${redis.port}`, 'status').status).toBe(3);
    } finally {
      admin.disconnect();
      await redis.cleanup();
    }
  });

  it('names an unreachable address that it cannot start without its password', () => {
    const run = redisSh(`redis://app:${PASSWORD}@redis.invalid:6379/0`, 'up');
    expect(run.status).toBe(1);
    expect(run.output).not.toContain('S3cret');
    expect(run.output).toContain('redis://app:***@redis.invalid:6379/0');
    expect(run.output).toContain('is not local');
  });

  it('refuses a host that is not a host name or an address, running nothing of it', () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'commitlog-redis-sh-')), 'ran');
    for (const command of ['status', 'up']) {
      const run = redisSh(`redis://127.0.0.1$(touch ${marker}):6379`, command);
      expect(run.status).toBe(1);
      expect(run.output).toContain('bad host in REDIS_URL');
    }
    expect(existsSync(marker)).toBe(false);
  });

  it.each([
    ['quotes, a backslash and a newline', 'a"b\\c\nloadmodule /nowhere.so'],
    // od writes a repeated 16-byte line as `*` unless told not to.
    ['a repeated 16-byte block', 'p'.repeat(48)],
  ])('starts a Redis whose password holds %s, exactly that one', async (_what, password) => {
    const port = await freePort();
    const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    const env = {
      PATH: process.env.PATH,
      REDIS_URL: url,
      REDIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'commitlog-redis-sh-')),
    };
    const sh = (command: string) =>
      spawnSync('bash', [script, command], { env, encoding: 'utf8', timeout: 30_000 });
    const up = sh('up');
    try {
      expect({ status: up.status, output: `${up.stdout}${up.stderr}` }).toMatchObject({
        status: 0,
      });
      const client = createRedisConnection({ url, role: 'worker', onError: () => {} });
      try {
        expect(await client.ping()).toBe('PONG');
        // The directive that followed the newline was part of the password, not a directive.
        expect(await client.call('CONFIG', 'GET', 'requirepass')).toEqual([
          'requirepass',
          password,
        ]);
      } finally {
        client.disconnect();
      }
    } finally {
      sh('down');
    }
  });

  it('marks Redis as started by the one call of two at once that started it', async () => {
    const data = mkdtempSync(join(tmpdir(), 'commitlog-redis-sh-'));
    const env = {
      PATH: process.env.PATH,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      REDIS_DATA_DIR: data,
    };
    const up = (mark: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn('bash', [script, 'up'], {
          env: { ...env, REDIS_STARTED_MARK: mark },
          stdio: 'ignore',
        });
        child.once('exit', resolve);
      });
    const marks = [join(data, 'first.mark'), join(data, 'second.mark')];
    try {
      expect(await Promise.all(marks.map(up))).toEqual([0, 0]);
      expect(marks.filter((mark) => existsSync(mark))).toHaveLength(1);
    } finally {
      spawnSync('bash', [script, 'down'], { env, stdio: 'ignore', timeout: 30_000 });
    }
  });
});
