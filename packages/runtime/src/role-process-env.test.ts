import { describe, expect, it } from 'vitest';
import { ROLE_NODE_FLAGS, roleProcessEnv } from './role-process-env.ts';

describe('roleProcessEnv', () => {
  it('sizes the heap and the malloc arenas, keeping the rest of the environment', () => {
    const env = roleProcessEnv({ REDIS_URL: 'redis://r:6379' });
    expect(env).toEqual({
      REDIS_URL: 'redis://r:6379',
      NODE_OPTIONS: ROLE_NODE_FLAGS.join(' '),
      MALLOC_ARENA_MAX: '2',
    });
    expect(ROLE_NODE_FLAGS).toContain('--max-semi-space-size=4');
    expect(ROLE_NODE_FLAGS).toContain('--max-old-space-size=512');
  });

  it("puts the operator's NODE_OPTIONS last, so that their V8 flags win", () => {
    const env = roleProcessEnv({
      NODE_OPTIONS: ' --max-old-space-size=2048 ',
      MALLOC_ARENA_MAX: '4',
    });
    expect(env.NODE_OPTIONS).toBe(`${ROLE_NODE_FLAGS.join(' ')} --max-old-space-size=2048`);
    expect(env.MALLOC_ARENA_MAX).toBe('4');
  });
});
