// A worker or ingest restarted while Redis is past its maxmemory (an incident the README's
// runbook covers) must start and wait for room, not exit: Redis refuses every write there, even
// one that changes nothing, and its start-up wrote the lane count and each lane's limit again.
import { startPrivateRedis, type PrivateRedis } from '@commitlog/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { holdEachLaneToOne } from './lane-concurrency.ts';
import { claimLaneCount } from './lane-count.ts';
import { startLaneWorkers } from './lane-workers.ts';
import { createRedisConnection, type RedisConnection } from './redis-connection.ts';
import { parseMemoryInfo } from './redis-memory.ts';

describe('a start-up on a Redis past its maxmemory', () => {
  let redis: PrivateRedis | undefined;
  let connection: RedisConnection | undefined;

  afterEach(async () => {
    connection?.disconnect();
    await redis?.cleanup();
  });

  it('claims the recorded lane count and starts the lane workers, writing nothing', async () => {
    redis = await startPrivateRedis();
    connection = createRedisConnection({ url: redis.url, role: 'worker', onError: () => {} });
    const prefix = 'full';
    const lanes = [0, 1, 2, 3];
    // A worker that ran before: the count and the lanes' limits recorded.
    await claimLaneCount(connection, prefix, lanes.length);
    await holdEachLaneToOne(connection, prefix, lanes, { stopped: () => false });
    const { usedBytes } = parseMemoryInfo(await connection.info('memory'));
    await connection.config('SET', 'maxmemory', String(usedBytes - 100_000));
    // Past it: a write that changes nothing is refused all the same.
    await expect(connection.set(`${prefix}:probe`, '1', 'NX')).rejects.toThrow(/^OOM/);

    await expect(claimLaneCount(connection, prefix, lanes.length)).resolves.toEqual({
      changedFrom: undefined,
    });
    const workers = await startLaneWorkers({
      connection,
      prefix,
      lanes,
      workerName: 'restarted',
      lockDurationMs: 5000,
      dedupWindowMs: 60_000,
      handle: () => Promise.resolve({ kind: 'delivered' }),
      stopped: () => true,
    });
    await workers.close();
    // The limit is still what keeps per-key order.
    expect(await connection.hget(`${prefix}:{lane-0000}:meta`, 'concurrency')).toBe('1');
  });
});
