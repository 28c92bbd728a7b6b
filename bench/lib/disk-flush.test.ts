import { describe, expect, it } from 'vitest';
import { describeFlush, pendingWriteBytes } from './disk-flush.ts';

describe('pendingWriteBytes', () => {
  it('adds Dirty and Writeback, in bytes', () => {
    const meminfo = [
      'MemTotal:       24578164 kB',
      'Dirty:              108 kB',
      'Writeback:           12 kB',
      'WritebackTmp:         0 kB',
    ].join('\n');
    expect(pendingWriteBytes(meminfo)).toBe(120 * 1024);
  });

  it('is unknown when either line is missing', () => {
    expect(pendingWriteBytes('Dirty:              108 kB\n')).toBeNaN();
  });
});

describe('describeFlush', () => {
  it('names the size in MiB and the time', () => {
    expect(describeFlush({ pendingBytes: 412 * 2 ** 20, seconds: 2.1 })).toBe('412 MiB in 2.10 s');
    expect(describeFlush({ pendingBytes: NaN, seconds: 0.5 })).toBe('an unknown amount in 0.50 s');
  });
});
