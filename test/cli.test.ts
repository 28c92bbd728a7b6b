import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
    expect(result.stdout).toContain('up          start the whole system');
  });
});
