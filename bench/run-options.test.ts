import { describe, expect, it } from 'vitest';
import { runOptions } from './run-options.ts';

describe('run options', () => {
  it('has a full and a quick mode, and refuses anything else', () => {
    expect(runOptions([]).mode).toBe('full');
    expect(runOptions([]).levers).toBe(true);
    expect(runOptions(['--quick'])).toMatchObject({
      mode: 'quick',
      levers: false,
      zipfSaturation: false,
    });
    expect(runOptions([]).zipfSaturation).toBe(true);
    expect(() => runOptions(['--fast'])).toThrow(/unknown argument/);
  });

  it('runs Redis with fsync always unless asked for everysec', () => {
    expect(runOptions([]).redisFsync).toBe('always');
    expect(runOptions(['--quick', '--fsync=everysec'])).toMatchObject({
      mode: 'quick',
      redisFsync: 'everysec',
    });
    expect(() => runOptions(['--fsync=never'])).toThrow(/--fsync must be always or everysec/);
  });
});
