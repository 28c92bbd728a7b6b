// The factory's clients send the commands of one event-loop turn in one write, on the real Redis,
// with every reply matched to its command, also after a reconnection.
import { testRedisUrl } from '@commitlog/testkit';
import type { Redis } from 'ioredis';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { countSocketWrites } from '../test/count-socket-writes.ts';
import { createRedisConnection, type RedisConnection } from './redis-connection.ts';

let connection: RedisConnection | undefined;
afterEach(() => connection?.disconnect());

describe('coalesced writes on the real Redis', () => {
  it('sends one turn’s commands in one write and matches every reply', async () => {
    const client = createRedisConnection({
      url: testRedisUrl(),
      role: 'worker',
      onError: () => undefined,
    }) as Redis;
    connection = client;
    await client.ping();
    for (const attempt of ['first connection', 'after a reconnection']) {
      const writes = countSocketWrites((client as unknown as { stream: Socket }).stream);
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) => client.echo(`${attempt}-${i}`)),
      );
      expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => `${attempt}-${i}`));
      expect(writes()).toBe(1);
      // A new socket: it must be coalesced too.
      client.disconnect(true);
      await new Promise((resolve) => client.once('ready', resolve));
    }
  });
});
