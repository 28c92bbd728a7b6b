import { describe, expect, it } from 'vitest';
import { hookVersionOf, OTHER_CLIENT } from './hook-version.ts';

describe('hookVersionOf', () => {
  it("reads the version from the hook's User-Agent", () => {
    expect(hookVersionOf('commitlog-riak-hook/0.1.0')).toBe('0.1.0');
    expect(hookVersionOf('commitlog-riak-hook/2026.12.1234')).toBe('2026.12.1234');
    // Pre-releases too, by the rule the roles' commitlog_build_info follows.
    expect(hookVersionOf('commitlog-riak-hook/0.2.0-rc.1')).toBe('0.2.0-rc.1');
  });

  it('gives other for any other client, so that the label stays bounded', () => {
    for (const userAgent of [
      undefined,
      '',
      // `commitlog requeue` posts with Node's fetch, which any Node client uses too.
      'node',
      'curl/8.5.0',
      'commitlog-riak-hook',
      'commitlog-riak-hook/',
      'commitlog-riak-hook/0.1',
      'commitlog-riak-hook/0.1.0.1',
      'commitlog-riak-hook/0.1.0-',
      `commitlog-riak-hook/0.1.0-${'r'.repeat(41)}`,
      'commitlog-riak-hook/12345.0.0',
      'commitlog-riak-hook/0.1.0 ',
      ' commitlog-riak-hook/0.1.0',
      'commitlog-riak-hook/0.1.0\nX: y',
      'Commitlog-Riak-Hook/0.1.0',
      'commitlog-riak-hook/１.0.0',
    ]) {
      expect(hookVersionOf(userAgent), String(userAgent)).toBe(OTHER_CLIENT);
    }
  });
});
