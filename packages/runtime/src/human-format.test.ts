import { describe, expect, it } from 'vitest';
import { formatAge, formatTime, shorten } from './human-format.ts';

describe('text for people', () => {
  it('writes durations with their two largest units', () => {
    expect(formatAge(0)).toBe('0s');
    expect(formatAge(999)).toBe('0s');
    expect(formatAge(3_000)).toBe('3s');
    expect(formatAge(302_000)).toBe('5m 2s');
    expect(formatAge(3_600_000)).toBe('1h');
    expect(formatAge(3_660_000)).toBe('1h 1m');
    expect(formatAge(100_800_000 + 59_000)).toBe('1d 4h');
    expect(formatAge(-5)).toBe('0s');
  });

  it('writes times in UTC to the second, and cuts long text to one short line', () => {
    expect(formatTime(Date.parse('2026-11-24T12:00:05.678Z'))).toBe('2026-11-24 12:00:05Z');
    expect(shorten('broker\ndown', 20)).toBe('broker down');
    expect(shorten('abcdefghij', 5)).toBe('abcd…');
  });
});
