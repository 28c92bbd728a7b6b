import type { Hash } from 'node:crypto';

const utf8 = new TextEncoder();

/**
 * Feeds one field to a hash as a 4-byte big-endian unsigned length followed by the bytes (a
 * string as UTF-8), so that fields cannot run together: ("ab", "c") and ("a", "bc") differ.
 */
export function updateLengthPrefixed(hash: Hash, field: Uint8Array | string): void {
  const bytes = typeof field === 'string' ? utf8.encode(field) : field;
  hash.update(u32be(bytes.byteLength));
  hash.update(bytes);
}

/** A 4-byte big-endian unsigned integer. */
export function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}
