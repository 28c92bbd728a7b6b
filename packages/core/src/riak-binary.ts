/**
 * A Riak binary (a bucket type, a bucket, a key) in its JSON wire form: a binary that is valid
 * UTF-8 travels as a string; any other binary as `{"base64": "..."}`. Both forms stand for exact
 * bytes, and the same bytes in either form are the same binary.
 */
export type RiakBinary = string | { base64: string };

// Fatal: a binary that is not valid UTF-8 must not become a string with U+FFFD in it.
// ignoreBOM: a leading EF BB BF is part of the bytes, not a marker to strip.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/**
 * The exact bytes of a binary. A string is encoded as UTF-8 (the schema refuses strings with lone
 * surrogates, which UTF-8 cannot hold). The result may be a view into a larger buffer; use its
 * `byteOffset`/`byteLength`, never its whole `buffer`.
 */
export function binaryToBytes(b: RiakBinary): Uint8Array {
  if (typeof b === 'string') return utf8.encode(b);
  const decoded = Buffer.from(b.base64, 'base64');
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
}

/** The wire form of bytes: a string when they are valid UTF-8, else `{base64}`. */
export function bytesToBinary(bytes: Uint8Array): RiakBinary {
  const text = utf8Text(bytes);
  return (
    text ?? {
      base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
    }
  );
}

/**
 * The UTF-8 text of a binary, whichever form it travels in, or undefined when its bytes are not
 * valid UTF-8. Routing rules and default topic names match on this.
 */
export function binaryToText(b: RiakBinary): string | undefined {
  return typeof b === 'string' ? b : utf8Text(binaryToBytes(b));
}

/**
 * A binary for logs and metric labels: the string itself, or `base64:<...>` for other bytes.
 * Not reversible on its own (a string may start with `base64:`); never parse it back.
 */
export function binaryToDisplay(b: RiakBinary): string {
  return typeof b === 'string' ? b : `base64:${b.base64}`;
}

/** Longest bucket or key shown in a log line; longer ones are cut with `…` (`cutForLog`). */
export const LOG_DISPLAY_MAX = 200;

/** A display form (`binaryToDisplay`) cut to a readable length for a log line. */
export function cutForLog(text: string): string {
  return text.length > LOG_DISPLAY_MAX ? `${text.slice(0, LOG_DISPLAY_MAX)}…` : text;
}

/** Number of bytes a binary stands for, without building them. */
export function binaryByteLength(b: RiakBinary): number {
  return typeof b === 'string' ? Buffer.byteLength(b, 'utf8') : base64ByteLength(b.base64);
}

/** Decoded length of canonical base64 (as the schema accepts it). */
export function base64ByteLength(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/**
 * Whether text is canonical base64: standard alphabet, padded, no whitespace, and zero bits where
 * the last character has bits to spare, so that each byte string has exactly one base64 form.
 * The empty string is the base64 of no bytes.
 */
export function isCanonicalBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  // Buffer's decoder skips what it does not understand; re-encoding shows whether it did.
  return Buffer.from(text, 'base64').toString('base64') === text;
}

function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
