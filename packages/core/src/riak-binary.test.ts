import { describe, expect, it } from 'vitest';
import {
  base64ByteLength,
  binaryByteLength,
  binaryToBytes,
  binaryToDisplay,
  binaryToText,
  bytesToBinary,
  isCanonicalBase64,
  type RiakBinary,
} from './riak-binary.ts';

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

function roundTrip(bytes: Uint8Array): Uint8Array {
  // Through the wire: JSON text and back, as the hook's body travels.
  const wire = JSON.parse(JSON.stringify(bytesToBinary(bytes))) as RiakBinary;
  return binaryToBytes(wire);
}

describe('RiakBinary', () => {
  it('sends valid UTF-8 as a string, anything else as {base64}', () => {
    expect(bytesToBinary(new TextEncoder().encode('txn-123'))).toBe('txn-123');
    expect(bytesToBinary(new TextEncoder().encode('café ☕ 𝄞'))).toBe('café ☕ 𝄞');
    expect(bytesToBinary(Uint8Array.of(0xff, 0xfe))).toEqual({ base64: '//4=' });
    expect(bytesToBinary(allBytes)).toEqual({ base64: Buffer.from(allBytes).toString('base64') });
  });

  it('round-trips every byte value, byte for byte', () => {
    expect(roundTrip(allBytes)).toEqual(allBytes);
    for (let b = 0; b < 256; b++) {
      expect(roundTrip(Uint8Array.of(b))).toEqual(Uint8Array.of(b));
      expect(roundTrip(Uint8Array.of(0x61, b, 0x62))).toEqual(Uint8Array.of(0x61, b, 0x62));
    }
  });

  it('round-trips bytes that are almost UTF-8', () => {
    const cases = [
      [0xed, 0xa0, 0x80], // a UTF-16 surrogate (U+D800) encoded as if it were a code point
      [0xed, 0xbf, 0xbf], // U+DFFF, likewise
      [0xc0, 0x80], // overlong NUL
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe2, 0x82], // truncated sequence
      [0x80], // lone continuation byte
    ];
    for (const bytes of cases.map((c) => Uint8Array.from(c))) {
      expect(typeof bytesToBinary(bytes)).toBe('object');
      expect(roundTrip(bytes)).toEqual(bytes);
    }
  });

  it('keeps a leading byte order mark and NUL bytes', () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf, 0x6b);
    expect(bytesToBinary(bom)).toBe('\ufeffk');
    expect(roundTrip(bom)).toEqual(bom);
    const nul = Uint8Array.of(0x6b, 0x00, 0x6b);
    expect(bytesToBinary(nul)).toBe('k\u0000k');
    expect(roundTrip(nul)).toEqual(nul);
  });

  it('round-trips the empty binary', () => {
    expect(bytesToBinary(new Uint8Array(0))).toBe('');
    expect(roundTrip(new Uint8Array(0))).toEqual(new Uint8Array(0));
    expect(binaryToBytes({ base64: '' })).toEqual(new Uint8Array(0));
  });

  it('reads a view into a larger buffer without its neighbours', () => {
    const view = new Uint8Array(Uint8Array.of(1, 0xff, 0xfe, 2).buffer, 1, 2);
    expect(bytesToBinary(view)).toEqual({ base64: '//4=' });
  });

  it('treats the string and {base64} forms of the same bytes alike', () => {
    expect(binaryToBytes({ base64: 'dHhuLTEyMw==' })).toEqual(binaryToBytes('txn-123'));
    expect(binaryToText({ base64: 'dHhuLTEyMw==' })).toBe('txn-123');
    expect(binaryToText('txn-123')).toBe('txn-123');
    expect(binaryToText({ base64: '//4=' })).toBeUndefined();
  });

  it('displays a binary for logs', () => {
    expect(binaryToDisplay('transactions')).toBe('transactions');
    expect(binaryToDisplay({ base64: '//4=' })).toBe('base64://4=');
  });

  it('counts bytes without decoding', () => {
    expect(binaryByteLength('café')).toBe(5);
    for (let n = 0; n < 10; n++) {
      const base64 = Buffer.alloc(n, 7).toString('base64');
      expect(base64ByteLength(base64)).toBe(n);
      expect(binaryByteLength({ base64 })).toBe(n);
    }
  });
});

describe('isCanonicalBase64', () => {
  it('accepts padded standard base64, including the empty string', () => {
    for (const ok of ['', 'YQ==', 'YWI=', 'YWJj', '//4=', '+/+/']) {
      expect(isCanonicalBase64(ok), ok).toBe(true);
    }
  });

  it('refuses bad characters, missing or wrong padding, whitespace and spare bits', () => {
    const bad = [
      '!!',
      '!!!!',
      'YQ',
      'YQ=',
      'YQ===',
      'Y Q==',
      'YQ==\n',
      'YW=J',
      '-_-_',
      'QR==',
      '====',
      'YWJj=',
    ];
    for (const text of bad) expect(isCanonicalBase64(text), text).toBe(false);
  });
});
