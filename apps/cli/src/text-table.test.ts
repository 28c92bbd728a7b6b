import { describe, expect, it } from 'vitest';
import { formatTable } from './text-table.ts';

describe('terminal text', () => {
  it('aligns columns to their widest cell', () => {
    expect(
      formatTable(
        ['REASON', 'COUNT'],
        [
          ['expired', '12'],
          ['too-large', '1'],
        ],
      ),
    ).toEqual(['REASON     COUNT', 'expired    12', 'too-large  1']);
  });
});
