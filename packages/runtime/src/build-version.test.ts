import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBuildVersion, RELEASE_MANIFEST, UNKNOWN_VERSION } from './build-version.ts';

const manifest = (text: string) => ({ manifest: 'package.json', readFile: () => text });

describe('readBuildVersion', () => {
  it("reads the manifest's version", () => {
    expect(readBuildVersion(manifest('{"name": "commitlog", "version": "1.20.3"}'))).toBe('1.20.3');
    expect(readBuildVersion(manifest('{"version": "2.0.0-rc.1"}'))).toBe('2.0.0-rc.1');
  });

  it('says unknown, rather than stop the role, for a manifest without a readable version', () => {
    for (const text of [
      '{"name": "commitlog"}',
      '{"version": 1}',
      '{"version": "latest"}',
      `{"version": "1.0.0-${'x'.repeat(200)}"}`,
      '{',
    ]) {
      expect(readBuildVersion(manifest(text)), text).toBe(UNKNOWN_VERSION);
    }
    const missing = () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    expect(readBuildVersion({ readFile: missing })).toBe(UNKNOWN_VERSION);
  });

  // The release every role reports is the root package.json's; the hook names its own release in
  // its User-Agent (its .app.src vsn, which its EUnit test ties to the User-Agent). An operator
  // checks an upgrade's order by comparing the two, so they must be bumped together.
  it("is the repository's release, the one the Riak hook names", () => {
    const version = readBuildVersion();
    expect(version).not.toBe(UNKNOWN_VERSION);
    const root = JSON.parse(readFileSync(RELEASE_MANIFEST, 'utf8')) as { version?: unknown };
    expect(version).toBe(root.version);
    const appSrc = readFileSync(
      new URL('../../../apps/riak-hook/src/commitlog_riak_hook.app.src', import.meta.url),
      'utf8',
    );
    expect(/\{vsn, "([^"]+)"\}/.exec(appSrc)?.[1]).toBe(version);
  });
});
