import { describe, expect, it } from 'vitest';
import { throttledWarn } from './throttled-log.ts';

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
