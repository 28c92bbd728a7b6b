// The factory's clients on the real Redis: a database the address names but Redis does not have
// fails the connection instead of leaving it in database 0.
import { startPrivateRedis, testRedisUrl, waitFor } from '@commitlog/testkit';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisConnection,
  RedisDatabaseError,
  type RedisConnection,
  type RedisRole,
} from './redis-connection.ts';

/** Past the 16 databases a Redis has by default (checked below). */
const MISSING_DATABASE = 99;

/** The test Redis's address with `database` as its path. */
function withDatabase(database: number): string {
  const url = new URL(testRedisUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

let connections: RedisConnection[] = [];
afterEach(() => {
  for (const connection of connections) connection.disconnect();
  connections = [];
});

/** A client of the factory, with every error it reports and whether it ever became ready. */
function connect(
  role: RedisRole,
  database: number,
): { client: Redis; errors: Error[]; wasReady: () => boolean } {
  const errors: Error[] = [];
  const client = createRedisConnection({
    url: withDatabase(database),
    role,
    onError: (error) => errors.push(error),
  }) as Redis;
  connections.push(client);
  let ready = false;
  client.on('ready', () => (ready = true));
  return { client, errors, wasReady: () => ready };
}

/** The database the server says this client's connection uses (CLIENT INFO's `db=`). */
async function serverSideDatabase(client: Redis): Promise<number> {
  const info = String(await client.client('INFO'));
  return Number(/\bdb=(\d+)/.exec(info)?.[1]);
}

describe('a Redis connection with a database in its address', () => {
  beforeAll(async () => {
    const probe = new Redis(testRedisUrl(), { lazyConnect: true });
    try {
      await probe.connect();
      const [, databases] = (await probe.config('GET', 'databases')) as [string, string];
      expect(Number(databases), 'the test Redis must not have database 99').toBeLessThanOrEqual(
        MISSING_DATABASE,
      );
    } finally {
      probe.disconnect();
    }
  });

  it('uses the database when Redis has it', async () => {
    const { client, errors } = connect('producer', 1);
    await waitFor(() => client.status === 'ready', { description: 'ready' });
    expect(await serverSideDatabase(client)).toBe(1);
    expect(errors).toEqual([]);
  });

  it('fails a fail-fast client with the reason when Redis refuses the database', async () => {
    const { client, errors, wasReady } = connect('producer', MISSING_DATABASE);
    const reported = await waitFor(() => errors[0], { description: 'an error' });
    expect(reported).toBeInstanceOf(RedisDatabaseError);
    expect(reported).toMatchObject({
      code: 'REDIS_DATABASE_REFUSED',
      retriable: false,
      database: String(MISSING_DATABASE),
    });
    expect(reported.message).toMatch(/^Redis refused database 99 \(ERR .*\): /);
    // Redis's reply (an ACL's names the user) is left out of what a client may be told.
    expect((reported as RedisDatabaseError).clientMessage).toMatch(/^Redis refused database 99: /);
    // Nothing but the reason reaches onError: a caller that keeps the last error shows it.
    await waitFor(() => errors.length >= 2, { description: 'a second attempt' });
    expect(errors.every((error) => error instanceof RedisDatabaseError)).toBe(true);
    expect(wasReady()).toBe(false);
    // Never run in database 0 meanwhile: a fail-fast client refuses commands while not ready.
    await expect(client.ping()).rejects.toThrow(/enableOfflineQueue/);
  });

  it('fails the waiting commands of a retrying client with the reason, never running them in database 0', async () => {
    const { client, errors, wasReady } = connect('worker', MISSING_DATABASE);
    // Sent before the connection is made: ioredis holds it until the connection is ready.
    await expect(serverSideDatabase(client)).rejects.toBeInstanceOf(RedisDatabaseError);
    expect(errors[0]).toBeInstanceOf(RedisDatabaseError);
    expect(wasReady()).toBe(false);
    // Nothing is left waiting, so quit() closes the client at once (a worker that fails to
    // start must be able to exit).
    await client.quit();
    await waitFor(() => client.status === 'end', { description: 'closed' });
  });
});

describe('a Redis connection whose primary is made a replica (a failover)', () => {
  it('connects again at the first READONLY, for each role, so that a moved address is followed', async () => {
    const primary = await startPrivateRedis();
    const other = await startPrivateRedis();
    try {
      for (const role of ['producer', 'worker'] as const) {
        const client = createRedisConnection({
          url: primary.url,
          role,
          onError: () => undefined,
        }) as Redis;
        connections.push(client);
        let connects = 0;
        client.on('connect', () => connects++);
        await waitFor(() => client.status === 'ready', { description: `${role}: ready` });
        await client.set('k', 'v');
        expect(connects).toBe(1);
        await client.replicaof('127.0.0.1', other.port);
        await expect(client.set('k', 'w')).rejects.toThrow(/READONLY/);
        await waitFor(() => connects === 2 && client.status === 'ready', {
          description: `${role}: connected again`,
        });
        await client.replicaof('NO', 'ONE');
        await waitFor(
          () =>
            client.set('k', 'x').then(
              () => true,
              () => false,
            ),
          { description: `${role}: writes taken again` },
        );
      }
    } finally {
      await primary.cleanup();
      await other.cleanup();
    }
  });
});
