import { describe, expect, it } from 'vitest';
import { errorKind, throttledWarn } from './throttled-log.ts';

describe('throttledWarn', () => {
  it('writes one line per key per interval, then says how many it left out', () => {
    const lines: [Record<string, unknown>, string][] = [];
    let t = 0;
    const warn = throttledWarn(
      { warn: (f: object, m?: string) => void lines.push([f as Record<string, unknown>, m ?? '']) },
      60_000,
      () => t,
    );
    // A Redis outage as 64 lane workers report it: the same refusal from each, twice a second.
    for (let round = 0; round < 4; round++, t += 500) {
      for (let lane = 0; lane < 64; lane++) warn('ECONNREFUSED', { lane }, 'lane worker error');
    }
    warn('redis', {}, 'redis connection error');
    expect(lines).toEqual([
      [{ lane: 0 }, 'lane worker error'],
      [{}, 'redis connection error'],
    ]);
    t += 60_000;
    warn('ECONNREFUSED', { lane: 3 }, 'lane worker error');
    expect(lines.at(-1)).toEqual([{ lane: 3, suppressed: 255 }, 'lane worker error']);
  });
});

describe('throttledWarn memory', () => {
  it('remembers at most 1,000 keys, dropping the oldest', () => {
    const lines: string[] = [];
    const warn = throttledWarn(
      { warn: (_f: object, m?: string) => void lines.push(m ?? '') },
      60_000,
      () => 0,
    );
    for (let i = 0; i <= 1000; i++) warn(`k${i}`, {}, `line ${i}`);
    // k0 was dropped for k1000: its next line is written; k1's is still held back.
    warn('k0', {}, 'k0 again');
    warn('k2', {}, 'k2 again');
    expect(lines.at(-1)).toBe('k0 again');
    expect(lines).toHaveLength(1002);
  });
});

describe('errorKind', () => {
  it('is the code when there is one, else the message without its ids', () => {
    const coded = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
      code: 'ECONNREFUSED',
    });
    expect(errorKind(coded)).toBe('ECONNREFUSED');
    const id = (n: number) => n.toString(16).padStart(64, 'a');
    const lockLost = (job: string) => new Error(`Missing lock for job ${job}. moveToFinished`);
    expect(errorKind(lockLost(id(1)))).toBe(errorKind(lockLost(id(2))));
    expect(errorKind(lockLost('123'))).toBe(errorKind(lockLost('stalled-7')));
    expect(errorKind(new Error(`could not renew lock for job ${id(3)}`))).toBe(
      'Error: could not renew lock for job #',
    );
    expect(errorKind(lockLost(id(1)))).not.toBe(errorKind(new Error('Lock mismatch for job x1')));
  });
});
