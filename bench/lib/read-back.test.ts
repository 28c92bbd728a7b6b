import { describe, expect, it } from 'vitest';
import { readBack } from './read-back.ts';

const stamp = (id: string) => ({ topic: 't', id, timestampMs: 1 });

/** A clock that moves only when the read-back sleeps. */
function fakeTime() {
  let t = 0;
  return { now: () => t, sleep: (ms: number) => Promise.resolve(void (t += ms)) };
}

describe('readBack', () => {
  it('reads again while an accepted commit is missing, and stops once every one is there', async () => {
    // The first read ends early (a duplicate of a reached its count); b lands late.
    const reads = [
      [stamp('a'), stamp('a')],
      [stamp('a'), stamp('a'), stamp('b')],
    ];
    const lines: string[] = [];
    const stamps = await readBack({
      read: () => Promise.resolve(reads.shift() ?? []),
      accepted: new Set(['a', 'b']),
      timeoutMs: 10_000,
      pauseMs: 1000,
      progress: (l) => lines.push(l),
      ...fakeTime(),
    });
    expect(stamps.map((s) => s.id)).toEqual(['a', 'a', 'b']);
    expect(reads).toEqual([]);
    expect(lines).toEqual(['    (1 accepted commits not read back yet: reading again)']);
  });

  it('gives up at its deadline with what it read: a commit still missing is lost', async () => {
    let reads = 0;
    const stamps = await readBack({
      read: () => Promise.resolve((reads++, [stamp('a')])),
      accepted: new Set(['a', 'never']),
      timeoutMs: 3000,
      pauseMs: 1000,
      progress: () => undefined,
      ...fakeTime(),
    });
    expect(stamps.map((s) => s.id)).toEqual(['a']);
    expect(reads).toBe(4); // at 0, 1, 2 and 3 s
  });
});
