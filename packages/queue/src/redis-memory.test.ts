import { describe, expect, it } from 'vitest';
import { parseMemoryInfo } from './redis-memory.ts';

describe('parseMemoryInfo', () => {
  it('reads used_memory and maxmemory from an INFO memory reply', () => {
    const info = '# Memory\r\nused_memory:1234567\r\nused_memory_human:1.18M\r\nmaxmemory:0\r\n';
    expect(parseMemoryInfo(info)).toEqual({ usedBytes: 1_234_567, maxBytes: 0 });
  });

  it("leaves out what Redis does not count against maxmemory (its AOF buffer, replicas' output buffers)", () => {
    const info =
      '# Memory\r\nused_memory:25000000\r\nmaxmemory:24000000\r\n' +
      'mem_not_counted_for_evict:2000000\r\nmem_aof_buffer:2000000\r\n';
    expect(parseMemoryInfo(info)).toEqual({ usedBytes: 23_000_000, maxBytes: 24_000_000 });
    expect(() =>
      parseMemoryInfo('used_memory:1\r\nmaxmemory:2\r\nmem_not_counted_for_evict:x\r\n'),
    ).toThrow('INFO memory has no mem_not_counted_for_evict');
  });

  it('refuses a reply without them rather than read a full Redis as empty', () => {
    expect(() => parseMemoryInfo('# Memory\r\nused_memory:12\r\n')).toThrow(
      'INFO memory has no maxmemory',
    );
  });
});
