import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { roleHeapLimitBytes, roleNodeFlags, roleProcessEnv } from './role-process-env.ts';

describe('roleProcessEnv', () => {
  it('sizes the heap and the malloc arenas, keeping the rest of the environment', () => {
    const env = roleProcessEnv('ingest', { REDIS_URL: 'redis://r:6379' });
    expect(env).toEqual({
      REDIS_URL: 'redis://r:6379',
      NODE_OPTIONS: '--max-semi-space-size=4 --max-old-space-size=512',
      MALLOC_ARENA_MAX: '2',
    });
  });

  it('gives the worker larger semi-spaces than the ingest and the dashboard', () => {
    expect(roleNodeFlags('worker')).toEqual([
      '--max-semi-space-size=16',
      '--max-old-space-size=512',
    ]);
    expect(roleNodeFlags('dashboard')).toEqual(roleNodeFlags('ingest'));
  });

  it("puts the operator's NODE_OPTIONS last, so that their V8 flags win", () => {
    const env = roleProcessEnv('worker', {
      NODE_OPTIONS: ' --max-old-space-size=2048 ',
      MALLOC_ARENA_MAX: '4',
    });
    expect(env.NODE_OPTIONS).toBe(`${roleNodeFlags('worker').join(' ')} --max-old-space-size=2048`);
    expect(env.MALLOC_ARENA_MAX).toBe('4');
  });
});

describe('roleHeapLimitBytes', () => {
  /** The heap limit V8 gives a process started with the role's environment. */
  function measured(role: 'ingest' | 'worker', env: NodeJS.ProcessEnv): number {
    const run = spawnSync(
      process.execPath,
      ['-e', 'process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit))'],
      { env: { PATH: process.env.PATH, ...roleProcessEnv(role, env) }, encoding: 'utf8' },
    );
    return Number(run.stdout);
  }

  it('is the heap limit the role process really has, with or without NODE_OPTIONS', () => {
    expect(roleHeapLimitBytes('ingest', {})).toBe(524 * 1024 * 1024);
    for (const [role, env] of [
      ['ingest', {}],
      ['worker', {}],
      ['ingest', { NODE_OPTIONS: '--max-old-space-size=1024' }],
      ['worker', { NODE_OPTIONS: '--max-semi-space-size=8 --max-old-space-size=300' }],
      ['ingest', { NODE_OPTIONS: '--max_old_space_size=700' }],
    ] as const) {
      expect(roleHeapLimitBytes(role, env), `${role} ${JSON.stringify(env)}`).toBe(
        measured(role, env),
      );
    }
  });
});
