// An ISO-8601 date and time with seconds, up to six fraction digits (Riak keeps microseconds),
// and a `Z` or `±hh:mm` offset, e.g. `2026-11-24T12:00:00.123456Z`.
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|([+-])(\d{2}):(\d{2}))$/;

const MICROS_PER_MS = 1000;

/**
 * Microseconds since the Unix epoch of an ISO-8601 timestamp, or undefined when the text is not
 * one or names a date or time that does not exist (Feb 30, 24:00, a leap second). Fraction digits
 * beyond the sixth are refused, not rounded: a commit's time is never altered.
 */
export function isoTimestampMicros(text: string): number | undefined {
  const m = ISO_TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = Number((m[7] ?? '').padEnd(6, '0'));
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return undefined;
  }
  // Not Date.UTC: it reads the years 0-99 as 1900-1999, and ISO 8601's 0000-0099 are valid.
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  check.setUTCHours(hour, minute, second, 0);
  const utcMs = check.getTime();
  // The Date rolls Feb 30 over to Mar 2; a date that does not exist does not survive the trip.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1) return undefined;
  if (check.getUTCDate() !== day) return undefined;
  const offsetMs = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return (utcMs - offsetMs) * MICROS_PER_MS + fraction;
}
