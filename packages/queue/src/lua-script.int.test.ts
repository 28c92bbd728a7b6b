// A script goes by its SHA-1 once Redis knows it, and in full the first time (NOSCRIPT), or
// always in full when the commands behind it must find it done.
import { createTestQueuePrefix } from '@commitlog/testkit';
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { luaScript } from './lua-script.ts';
import { createRedisConnection } from './redis-connection.ts';

describe('a Lua script on the real Redis', () => {
  const space = createTestQueuePrefix();
  const connection = createRedisConnection({
    url: space.redisUrl,
    role: 'worker',
    onError: () => undefined,
  });
  afterAll(async () => {
    await connection.quit();
    await space.cleanup();
  });

  it('is sent in full when Redis does not know it, then by its SHA-1', async () => {
    // A text no Redis has seen: the first run meets NOSCRIPT.
    const source = `-- ${randomUUID()}\nreturn KEYS[1] .. ':' .. ARGV[1]`;
    const sha = createHash('sha1').update(source).digest('hex');
    const script = luaScript(source);
    expect(await connection.script('EXISTS', sha)).toEqual([0]);
    expect(await script.run(connection, [`${space.prefix}:k`], ['a'])).toBe(`${space.prefix}:k:a`);
    expect(await connection.script('EXISTS', sha)).toEqual([1]);
    expect(await script.run(connection, [`${space.prefix}:k`], [7])).toBe(`${space.prefix}:k:7`);
  });

  it('runs in order with the commands sent behind it, even when Redis does not know it', async () => {
    // Sent without waiting, then a command that must find its write done: a NOSCRIPT retry
    // would run the script after that command.
    const source = `-- ${randomUUID()}\nredis.call('SET', KEYS[1], ARGV[1]) return 1`;
    const key = `${space.prefix}:ordered`;
    const sha = createHash('sha1').update(source).digest('hex');
    expect(await connection.script('EXISTS', sha)).toEqual([0]);
    const written = luaScript(source).runInOrder(connection, [key], ['first']);
    const read = connection.get(key);
    expect(await written).toBe(1);
    expect(await read).toBe('first');
  });

  it('passes on errors that are not NOSCRIPT', async () => {
    const script = luaScript(`-- ${randomUUID()}\nreturn redis.call('NOSUCHCOMMAND')`);
    await expect(script.run(connection, [], [])).rejects.toThrow(/Unknown Redis command/i);
  });
});
