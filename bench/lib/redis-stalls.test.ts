import { describe, expect, it } from 'vitest';
import { describeWorstStall, parseLatencyLatest } from './redis-stalls.ts';

describe('Redis stalls', () => {
  it('reads LATENCY LATEST, worst first', () => {
    const reply = [
      ['command', 1796308020, 15, 16],
      ['aof-fsync-always', 1796308033, 10, 353],
      ['fast-command', 1796308018, 10, 10],
    ];
    expect(parseLatencyLatest(reply)).toEqual([
      { event: 'aof-fsync-always', maxMs: 353 },
      { event: 'command', maxMs: 16 },
      { event: 'fast-command', maxMs: 10 },
    ]);
  });

  it('takes the extra fields of newer Redis versions and an empty answer', () => {
    expect(parseLatencyLatest([['fork', 1, 7, 9, 3, 20]])).toEqual([{ event: 'fork', maxMs: 9 }]);
    expect(parseLatencyLatest([])).toEqual([]);
  });

  it('refuses an answer it cannot read rather than report no stall', () => {
    expect(() => parseLatencyLatest('OK')).toThrow(/expected an array/);
    expect(() => parseLatencyLatest([['fork', 1]])).toThrow(/entries/);
    expect(() => parseLatencyLatest([['fork', 1, 2, 'x']])).toThrow(/not a number/);
  });

  it('describes the worst stall, none, or not measured', () => {
    expect(describeWorstStall([{ event: 'aof-fsync-always', maxMs: 353 }])).toBe(
      '353 ms aof-fsync-always',
    );
    expect(describeWorstStall([])).toBe('< 5 ms');
    expect(describeWorstStall(undefined)).toBe('—');
  });
});
