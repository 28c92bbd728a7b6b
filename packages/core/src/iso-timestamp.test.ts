import { describe, expect, it } from 'vitest';
import { isoTimestampMicros } from './iso-timestamp.ts';

describe('isoTimestampMicros', () => {
  it('reads microseconds since the epoch, offsets included', () => {
    const ms = Date.UTC(2026, 10, 24, 12, 0, 0);
    expect(isoTimestampMicros('2026-11-24T12:00:00Z')).toBe(ms * 1000);
    expect(isoTimestampMicros('2026-11-24T12:00:00.123456Z')).toBe(ms * 1000 + 123_456);
    expect(isoTimestampMicros('2026-11-24T12:00:00.5Z')).toBe(ms * 1000 + 500_000);
    expect(isoTimestampMicros('2026-11-24T14:30:00.000001+02:30')).toBe(ms * 1000 + 1);
    expect(isoTimestampMicros('2026-11-24T11:00:00-01:00')).toBe(ms * 1000);
    expect(isoTimestampMicros('1970-01-01T00:00:00Z')).toBe(0);
  });

  it('reads the years 0000 to 0099 as themselves, not as 1900 to 1999', () => {
    // ISO 8601's year 0000 is 1 BC of the proleptic Gregorian calendar: -62167219200 s, as Java's
    // Instant.parse("0000-01-01T00:00:00Z").getEpochSecond() says.
    expect(isoTimestampMicros('0000-01-01T00:00:00Z')).toBe(-62_167_219_200_000_000);
    // 2,000 Gregorian years are five 400-year cycles of 146,097 days: the same day of 2050 less
    // that, whatever Date does with two-digit years.
    const cycles = 5 * 146_097 * 86_400_000;
    const ms2050 = Date.UTC(2050, 5, 15, 8, 30, 0);
    expect(isoTimestampMicros('0050-06-15T08:30:00Z')).toBe((ms2050 - cycles) * 1000);
    expect(isoTimestampMicros('0050-06-15T10:30:00.000007+02:00')).toBe(
      (ms2050 - cycles) * 1000 + 7,
    );
    expect(isoTimestampMicros('0099-12-31T23:59:59Z')).toBe(
      (Date.UTC(2099, 11, 31, 23, 59, 59) - cycles) * 1000,
    );
    // Leap days by the year's own rule: 0 and 4 are leap years; 1 and 100 are not.
    expect(isoTimestampMicros('0000-02-29T00:00:00Z')).toBeDefined();
    expect(isoTimestampMicros('0004-02-29T00:00:00Z')).toBeDefined();
    expect(isoTimestampMicros('0001-02-29T00:00:00Z')).toBeUndefined();
    expect(isoTimestampMicros('0100-02-29T00:00:00Z')).toBeUndefined();
  });

  it('orders what plain text comparison would not', () => {
    const a = isoTimestampMicros('2026-11-24T12:00:00Z')!;
    const b = isoTimestampMicros('2026-11-24T12:00:00.5Z')!;
    expect(b).toBeGreaterThan(a);
  });

  it('refuses what is not a full ISO-8601 time, or does not exist', () => {
    for (const text of [
      '',
      'now',
      '2026-11-24T12:00:00.Z',
      '2026-04-31T00:00:00Z',
      '2026-11-24T12:00:00+02',
    ]) {
      expect(isoTimestampMicros(text), text).toBeUndefined();
    }
  });
});
