import { describe, expect, it } from 'vitest';
import { callerPath } from './caller-path.ts';

describe('callerPath', () => {
  it('resolves a relative file against COMMITLOG_CALLER_DIR', () => {
    const env = { COMMITLOG_CALLER_DIR: '/home/op/logs' };
    expect(callerPath('failures.log', env)).toBe('/home/op/logs/failures.log');
    expect(callerPath('../commit.json', env)).toBe('/home/op/commit.json');
  });

  it('leaves an absolute file, and any file without COMMITLOG_CALLER_DIR, as given', () => {
    expect(callerPath('/dev/stdin', { COMMITLOG_CALLER_DIR: '/home/op' })).toBe('/dev/stdin');
    expect(callerPath('/a/../b.json', { COMMITLOG_CALLER_DIR: '/home/op' })).toBe('/a/../b.json');
    expect(callerPath('commit.json', {})).toBe('commit.json');
    expect(callerPath('commit.json', { COMMITLOG_CALLER_DIR: '' })).toBe('commit.json');
  });
});
