import { describe, expect, it } from 'vitest';
import { stalledHolder, type HolderFields } from './job-holder.ts';

const LOCK = 30_000;
const TAKEN = 1_000_000;

function fields(overrides: Partial<HolderFields>): HolderFields {
  return {
    processedBy: 'pod-a:1',
    processedOn: TAKEN,
    holder: 'pod-a:1',
    previousHolder: null,
    ...overrides,
  };
}

describe('the holder of a stalled job', () => {
  it('is the worker that took it, while nobody has taken it again', () => {
    expect(stalledHolder(fields({}), TAKEN + LOCK, LOCK)).toBe('pod-a:1');
    expect(stalledHolder(fields({ holder: null }), TAKEN + LOCK / 2, LOCK)).toBe('pod-a:1');
  });

  it('is our holder field when another worker took the job but has not started on it', () => {
    const retaken = fields({ processedBy: 'pod-b:2', processedOn: TAKEN + LOCK + 5 });
    expect(stalledHolder(retaken, TAKEN + LOCK + 10, LOCK)).toBe('pod-a:1');
  });

  it('is the previous holder once the new worker has started on it', () => {
    const retaken = fields({
      processedBy: 'pod-b:2',
      processedOn: TAKEN + LOCK + 5,
      holder: 'pod-b:2',
      previousHolder: 'pod-a:1',
    });
    expect(stalledHolder(retaken, TAKEN + LOCK + 10, LOCK)).toBe('pod-a:1');
  });

  it('is unknown when nothing tells', () => {
    const bare = { processedBy: null, processedOn: NaN, holder: null, previousHolder: null };
    expect(stalledHolder(bare, TAKEN, LOCK)).toBeUndefined();
    const retaken = fields({ processedBy: 'pod-b:2', processedOn: TAKEN, holder: 'pod-b:2' });
    expect(stalledHolder(retaken, TAKEN + 10, LOCK)).toBeUndefined();
  });
});
