import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LengthPrefixedWriter } from './length-prefixed.ts';

function fieldsHash(...fields: (string | Uint8Array)[]): string {
  const input = new LengthPrefixedWriter();
  for (const f of fields) input.field(f);
  return input.sha256().toString('hex');
}

describe('LengthPrefixedWriter', () => {
  it('writes a 4-byte big-endian length before the bytes', () => {
    expect(new LengthPrefixedWriter().u32(0x01020304).bytes()).toEqual(Buffer.from([1, 2, 3, 4]));
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

  it('writes a string as UTF-8 and counts its bytes, not its characters', () => {
    expect(new LengthPrefixedWriter().field('é€😀').bytes()).toEqual(
      Buffer.concat([Buffer.from([0, 0, 0, 9]), Buffer.from('é€😀', 'utf8')]),
    );
  });

  it('decodes base64 into the field, canonical or not', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x68]);
    const expected = new LengthPrefixedWriter().field(bytes).bytes();
    expect(new LengthPrefixedWriter().base64Field(bytes.toString('base64')).bytes()).toEqual(
      expected,
    );
    // Whitespace makes the size guessed from the text's length wrong; the field is still right.
    expect(new LengthPrefixedWriter().base64Field('/wBo\n').bytes()).toEqual(expected);
    expect(new LengthPrefixedWriter().binary({ base64: 'aGk=' }).bytes()).toEqual(
      new LengthPrefixedWriter().binary('hi').bytes(),
    );
  });

  it('grows past its first buffer without losing what it wrote', () => {
    const big = Buffer.alloc(5000, 0xab);
    const input = new LengthPrefixedWriter().byte(7).field('x').field(big).u32(1);
    const expected = Buffer.concat([
      Buffer.from([7, 0, 0, 0, 1, 0x78]),
      Buffer.from([0, 0, 0x13, 0x88]),
      big,
      Buffer.from([0, 0, 0, 1]),
    ]);
    expect(input.bytes()).toEqual(expected);
    expect(input.sha256()).toEqual(createHash('sha256').update(expected).digest());
  });
});
