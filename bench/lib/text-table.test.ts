import { describe, expect, it } from 'vitest';
import { mib, num, ratio, textTable, triple } from './text-table.ts';

describe('text table', () => {
  it('pads columns, right-aligning numbers', () => {
    const table = textTable(
      ['design', 'per s'],
      [
        ['commitlog', '1200'],
        ['B5', '40.5'],
        ['B4', '≥ 5130'],
      ],
    );
    // A floor or a bound (≥, ≤) is a number too.
    expect(table.split('\n')).toEqual([
      'design      per s',
      '---------  ------',
      'commitlog    1200',
      'B5           40.5',
      'B4         ≥ 5130',
    ]);
  });

  it('formats cells', () => {
    expect(num(1234.6)).toBe('1235');
    expect(num(12.345)).toBe('12.3');
    expect(num(1.234)).toBe('1.23');
    expect(num(undefined)).toBe('—');
    expect(num(NaN)).toBe('—');
    expect(ratio(800, 1000)).toBe('0.80×');
    expect(ratio(1, 0)).toBe('—');
    expect(triple({ p50: 1.5, p99: 20, p999: 250 })).toBe('1.50/20.0/250');
    expect(mib(150 * 1048576)).toBe('150');
  });
});
