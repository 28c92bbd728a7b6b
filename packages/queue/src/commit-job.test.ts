import { describe, expect, it } from 'vitest';
import { holdsCommit } from './commit-job.ts';
import { UNREADABLE_JOB_DATA } from './tolerant-job.ts';

describe('holdsCommit', () => {
  it('is true for data whose commit is an object, and false for anything else', () => {
    expect(holdsCommit({ id: 'c', commit: { bucket: 'b', key: 'k' } })).toBe(true);
    expect(holdsCommit({ id: 'c', commit: {} })).toBe(true);
    for (const data of [
      UNREADABLE_JOB_DATA,
      null,
      5,
      'text',
      {},
      { commit: null },
      { commit: [] },
    ]) {
      expect(holdsCommit(data), JSON.stringify(data)).toBe(false);
    }
  });
});
