import { describe, expect, it } from 'vitest';
import { oneLine } from './one-line.ts';

describe('oneLine', () => {
  it('escapes what could break the line or act on a terminal, and nothing else', () => {
    expect(oneLine('a\nb\r\u001b[2J\u007f\u009b31m\u2028\u202e\u2066')).toBe(
      'a\\nb\\u000d\\u001b[2J\\u007f\\u009b31m\\u2028\\u202e\\u2066',
    );
    expect(oneLine('schlüssel-🔑 "quoted" tab-free')).toBe('schlüssel-🔑 "quoted" tab-free');
  });
});
