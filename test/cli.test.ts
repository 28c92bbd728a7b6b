import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testKafkaBrokers, testRedisUrl } from '@commitlog/testkit';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function commitlog(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['apps/cli/src/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: process.env,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the commitlog command, as a process', () => {
  it('exits 2 with one readable line for an unknown command', () => {
    const result = commitlog('launch-rockets');
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'commitlog: unknown command "launch-rockets" (try: commitlog help)',
    ]);
  });

  it('prints its usage for help', () => {
    const result = commitlog('help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('up      start the whole system');
  });
});

describe('commitlog up, as a process', () => {
  it('brings up (or reuses) the local Redis and Kafka and names the roles not built yet', () => {
    const result = commitlog('up');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toContain(`redis     ${testRedisUrl()}`);
    expect(lines).toContain(`kafka     ${testKafkaBrokers().join(',')}`);
    for (const role of ['ingest', 'worker', 'dashboard']) {
      expect(result.stdout).toMatch(new RegExp(`^${role} +not built yet$`, 'm'));
    }
  });
});
