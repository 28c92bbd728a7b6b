import { describe, expect, it } from 'vitest';
import { parseMemoryInfo } from './redis-memory.ts';

describe('parseMemoryInfo', () => {
  it('reads used_memory and maxmemory from an INFO memory reply', () => {
    const info = '# Memory\r\nused_memory:1234567\r\nused_memory_human:1.18M\r\nmaxmemory:0\r\n';
    expect(parseMemoryInfo(info)).toEqual({ usedBytes: 1_234_567, maxBytes: 0 });
  });

  it('refuses a reply without them rather than read a full Redis as empty', () => {
    expect(() => parseMemoryInfo('# Memory\r\nused_memory:12\r\n')).toThrow(
      'INFO memory has no maxmemory',
    );
  });
});
