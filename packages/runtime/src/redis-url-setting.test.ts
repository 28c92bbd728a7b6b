import { describe, expect, it } from 'vitest';
import type { Parsed } from './parsed.ts';
import { redisUrl } from './redis-url-setting.ts';

function message(parsed: Parsed<unknown>): string {
  if (parsed.ok) throw new Error('expected the value to be refused');
  return parsed.message;
}

const HINT =
  '; a / ? # or @ in the user name or password must be percent-encoded (%2F %3F %23 %40)';

describe('REDIS_URL with a password that is not percent-encoded', () => {
  it.each([
    ['redis://:pa/ss@redis:6379', 'must be a URL such as redis://127.0.0.1:6379'],
    ['redis://:pa#ss@redis:6379', 'must be a URL such as redis://127.0.0.1:6379'],
    ['redis://:pa?ss@redis:6379', 'must be a URL such as redis://127.0.0.1:6379'],
    // Parsed, with the password's head taken for the credentials and host or port, and the rest
    // for the database.
    ['redis://:p@s/s@redis:6379', 'the database (the path after host:port) must be'],
    ['redis://app:12/x@redis:6379', 'the database (the path after host:port) must be'],
    ['redis-cluster://:pa/ss@r1:7000,r2:7000', 'must be redis-cluster://'],
  ])('%s says why, and shows no password', (value, reason) => {
    const text = message(redisUrl(value));
    expect(text.startsWith(reason)).toBe(true);
    expect(text.endsWith(HINT)).toBe(true);
    expect(text).toContain(':***@');
    // Not a piece of the password, which each of these ends with 's' or 'x' before the '@'.
    expect(text).not.toMatch(/pa.ss|s\/s|12\/x/);
  });

  it('adds nothing when the credentials are not the problem', () => {
    expect(message(redisUrl('redis://:pw@redis:99999'))).toBe(
      'must be a URL such as redis://127.0.0.1:6379 (got "redis://:***@redis:99999")',
    );
    expect(message(redisUrl('redis://redis:6379/a?b#c'))).not.toContain('percent-encoded');
  });

  it('still takes an encoded password, and an @ the URL reader encodes itself', () => {
    expect(redisUrl('redis://:pa%2Fss%23x@redis:6379').ok).toBe(true);
    expect(redisUrl('redis://:p@ss@redis:6379').ok).toBe(true);
  });
});
