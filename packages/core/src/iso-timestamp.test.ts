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
