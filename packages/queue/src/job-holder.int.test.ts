// The holder of a job as the worker writes it on the real Redis: the previous one is kept, and a
// job that is gone is not brought back as a hash holding only names.
import { createTestQueuePrefix } from '@commitlog/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { markHolder, readStalledHolder } from './job-holder.ts';

describe('the holder of a job on the real Redis', () => {
  const space = createTestQueuePrefix();
  const connection = space.redis;
  afterAll(() => space.cleanup());

  it('names the new holder and keeps the previous one', async () => {
    const jobKey = `${space.prefix}:{lane-0001}:c-1`;
    await connection.hset(jobKey, 'pb', 'pod-b', 'processedOn', String(Date.now()));
    expect(await markHolder(connection, jobKey, 'pod-a')).toBe(true);
    expect(await markHolder(connection, jobKey, 'pod-b')).toBe(true);
    expect(await connection.hmget(jobKey, 'clh', 'clp')).toEqual(['pod-b', 'pod-a']);
    // Taken again just now by pod-b, which has started: the stall was pod-a's.
    expect(await readStalledHolder(connection, jobKey, Date.now(), 30_000)).toBe('pod-a');
  });

  it('leaves a job that is gone alone', async () => {
    const jobKey = `${space.prefix}:{lane-0001}:gone`;
    expect(await markHolder(connection, jobKey, 'pod-a')).toBe(false);
    expect(await connection.exists(jobKey)).toBe(0);
  });
});
