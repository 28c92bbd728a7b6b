const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest a commit request's objects and arrays may nest: a batch's deepest value is 8 in. */
export const MAX_JSON_DEPTH = 32;

/**
 * About how many values `JSON.parse` would make of a JSON text's bytes, without parsing it: one
 * per object or array opened and per comma outside strings, and one for the whole (strings are
 * skipped, their escapes too). For text that is not JSON the figure means nothing, but stays
 * bounded by the length. Used to charge a body's parsed form against the ingest's body budget
 * before it is parsed: small values cost far more heap than their bytes (`{},` is 3 bytes and
 * about 56 bytes of heap once parsed).
 */
export function countJsonValues(text: Uint8Array): number {
  return measureJson(text).values;
}

/**
 * `countJsonValues`, and how deeply its containers nest (the most open at once), in one pass:
 * JSON.parse takes millions of levels, and the ingest's check for names given twice keeps a frame
 * per open object, so that one signed body of 13 MB of `{"a":` ran the ingest out of heap. No
 * commit nests deeper than about 8.
 */
export function measureJson(text: Uint8Array): { values: number; depth: number } {
  let values = 1;
  let open = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (byte === QUOTE) {
      i = stringEnd(text, i);
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      values++;
      if (++open > depth) depth = open;
    } else if (byte === COMMA) {
      values++;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      open--;
    }
  }
  return { values, depth };
}

/** The index of the quote that ends the string opened at `start` (the end when none does). */
function stringEnd(text: Uint8Array, start: number): number {
  for (let from = start + 1; ;) {
    const quote = text.indexOf(QUOTE, from);
    if (quote === -1) return text.length;
    let backslashes = 0;
    for (let i = quote - 1; i > start && text[i] === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}
