import type { CommitJobData } from '@commitlog/queue';
import { describe, expect, it } from 'vitest';
import { jobTitle, redactJobData } from './job-redaction.ts';

const VALUE = Buffer.from('{"card":"4111111111111111"}').toString('base64');

function jobData(commit: unknown): CommitJobData {
  return { id: 'c1', lane: 3, receivedAt: '2026-12-05T00:00:00.000Z', commit } as CommitJobData;
}

describe('redactJobData and jobTitle', () => {
  it('show who, what and when of a commit, never its value', () => {
    const data = jobData({
      bucketType: 'default',
      bucket: 'payments',
      key: 'k1',
      op: 'put',
      siblings: [{ value: VALUE, contentType: 'application/json', contentEncoding: 'gzip' }],
    });
    const shown = JSON.stringify(redactJobData(data));
    expect(shown).toContain('"bucket":"payments"');
    expect(shown).toContain('1 sibling: 27 bytes application/json gzip');
    expect(shown).not.toContain(VALUE);
    expect(jobTitle(data)).toBe('payments/k1');
  });

  it('show a note, and never throw, for data that holds no commit or a commit of another shape', () => {
    for (const commit of [undefined, null, 5, 'text', [], {}, { bucket: 'b', siblings: 'x' }]) {
      const data = jobData(commit);
      expect(redactJobData(data), JSON.stringify(commit)).toEqual({
        note: "not a commit job: its data in Redis is not valid JSON, or not a commit job's",
      });
      expect(jobTitle(data)).toBe('commit');
    }
  });
});
