import { describe, expect, it } from 'vitest';
import type { LaneHead } from './lane-followers.ts';
import { createLanePrefetches } from './lane-prefetch.ts';

const START = { recorded: false, followers: [] };

function read(jobId: string | undefined): Promise<LaneHead | undefined> {
  return Promise.resolve(jobId === undefined ? undefined : { jobId, start: START });
}

describe('lane prefetches', () => {
  it('hands the prefetch to the job it was read for, handed on with the same token', async () => {
    const aheads = createLanePrefetches();
    aheads.expect(3, 'w:1', read('c-2'));
    await expect(aheads.take(3, 'w:1', 'c-2')).resolves.toBe(START);
  });

  it('is gone once asked, whoever asked', async () => {
    const aheads = createLanePrefetches();
    aheads.expect(3, 'w:1', read('c-2'));
    await expect(aheads.take(3, 'w:2', 'c-2')).resolves.toBeUndefined();
    await expect(aheads.take(3, 'w:1', 'c-2')).resolves.toBeUndefined();
  });

  it('is not for a job fetched otherwise: another token, another id, or no token', async () => {
    const aheads = createLanePrefetches();
    aheads.expect(3, 'w:1', read('c-2'));
    // The command handed no job over; the lane's next one came later, with a token of its own.
    await expect(aheads.take(3, 'w:7', 'c-2')).resolves.toBeUndefined();
    aheads.expect(3, 'w:1', read('c-2'));
    // BullMQ handed over another job than the one at the end of the wait list when it was read.
    await expect(aheads.take(3, 'w:1', 'c-9')).resolves.toBeUndefined();
    aheads.expect(3, 'w:1', read('c-2'));
    await expect(aheads.take(3, undefined, 'c-2')).resolves.toBeUndefined();
  });

  it('keeps each lane apart, and has nothing when the read found none or failed', async () => {
    const aheads = createLanePrefetches();
    aheads.expect(3, 'w:1', read('c-2'));
    aheads.expect(4, 'w:1', read(undefined));
    aheads.expect(5, 'w:1', Promise.reject(new Error('connection lost')));
    await expect(aheads.take(4, 'w:1', 'c-2')).resolves.toBeUndefined();
    await expect(aheads.take(5, 'w:1', 'c-2')).resolves.toBeUndefined();
    await expect(aheads.take(3, 'w:1', 'c-2')).resolves.toBe(START);
  });
});
