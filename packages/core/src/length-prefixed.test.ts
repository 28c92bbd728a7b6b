import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { u32be, updateLengthPrefixed } from './length-prefixed.ts';

function fieldsHash(...fields: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const f of fields) updateLengthPrefixed(hash, f);
  return hash.digest('hex');
}

describe('updateLengthPrefixed', () => {
  it('writes a 4-byte big-endian length before the bytes', () => {
    expect(u32be(0x01020304)).toEqual(Uint8Array.of(1, 2, 3, 4));
    const expected = createHash('sha256')
      .update(Uint8Array.of(0, 0, 0, 2, 0x68, 0x69))
      .digest('hex');
    expect(fieldsHash('hi')).toBe(expected);
    expect(fieldsHash(Uint8Array.of(0x68, 0x69))).toBe(expected);
  });

  it('keeps fields from running together', () => {
    expect(fieldsHash('ab', 'c')).not.toBe(fieldsHash('a', 'bc'));
    expect(fieldsHash('', 'a')).not.toBe(fieldsHash('a', ''));
  });
});
