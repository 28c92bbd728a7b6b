import { describe, expect, it } from 'vitest';
import { roleNodeFlags, roleProcessEnv } from './role-process-env.ts';

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
