import { formatPath } from './validation-error.ts';

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

type Frame =
  | { kind: 'object'; names: Set<string>; name: string | undefined }
  | { kind: 'array'; index: number };

/**
 * What `JSON.parse` changes without a word, found in the text it accepted, with the path where:
 * - `repeated-name`: a member whose name an earlier member of the same object has. `JSON.parse`
 *   keeps the last, so `{"op": "put", …, "op": "delete"}` would be read as a delete and
 *   `"usermeta": {"a": "1", "a": "2"}` would lose an entry.
 * - `rounded-number`: a number that reads as a whole number it is not exactly
 *   (`1.0000000000000001` and `9007199254740993` both read as their neighbours, a double holding
 *   no more digits). A whole number is what a commit's integer index values are, so the value
 *   would be stored altered. Numbers that read as fractions are left to the schema, which names
 *   what the field wants.
 */
export interface JsonParseLoss {
  kind: 'repeated-name' | 'rounded-number';
  path: string;
}

/** The index of the quote that ends the string whose opening quote is at `start`. */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    let backslashes = 0;
    for (let i = quote - 1; text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** The index just past the number token that starts at `start`. */
function numberEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && /[0-9eE+.-]/.test(text[i]!)) i++;
  return i;
}

/**
 * Whether `token` (a JSON number) reads as a whole number other than the one it writes. Exact:
 * the token's decimal digits and exponent against the double, in integers of any size.
 */
export function roundsToWholeNumber(token: string): boolean {
  const read = Number(token);
  if (!Number.isInteger(read)) return false;
  const parts = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!parts) return false;
  let digits = `${parts[1]}${parts[2] ?? ''}`.replace(/^0+/, '');
  if (digits === '') return read !== 0;
  let exponent = Number(parts[3] ?? 0) - (parts[2]?.length ?? 0);
  const trimmed = digits.replace(/0+$/, '');
  exponent += digits.length - trimmed.length;
  digits = trimmed;
  // A fraction that read as a whole number (1.0000000000000001).
  if (exponent < 0) return true;
  return BigInt(digits) * 10n ** BigInt(exponent) !== (read < 0 ? -BigInt(read) : BigInt(read));
}

/**
 * The first thing `JSON.parse` changed in `text` (which it accepted), or undefined. Names are
 * compared as JSON reads them (`"\u0061"` is `"a"`). Strings are skipped whole with `indexOf`, so
 * a body of long base64 values costs little more than its punctuation.
 */
export function jsonParseLoss(text: string): JsonParseLoss | undefined {
  const stack: Frame[] = [];
  const pathTo = (last: string | number): string =>
    formatPath([...stack.slice(0, -1).map((f) => (f.kind === 'array' ? f.index : f.name!)), last]);
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack.at(-1);
      if (expectName && top?.kind === 'object') {
        const raw = text.slice(i + 1, end);
        const name = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (top.names.has(name)) return { kind: 'repeated-name', path: pathTo(name) };
        top.names.add(name);
        top.name = name;
        expectName = false;
      }
      i = end;
    } else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) {
      const end = numberEnd(text, i);
      if (roundsToWholeNumber(text.slice(i, end))) {
        const top = stack.at(-1);
        const at = top === undefined ? '' : pathTo(top.kind === 'array' ? top.index : top.name!);
        return { kind: 'rounded-number', path: at };
      }
      i = end - 1;
    } else if (c === OPEN_OBJECT) {
      stack.push({ kind: 'object', names: new Set(), name: undefined });
      expectName = true;
    } else if (c === OPEN_ARRAY) {
      stack.push({ kind: 'array', index: 0 });
      expectName = false;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
      expectName = false;
    } else if (c === COMMA) {
      const top = stack.at(-1);
      if (top?.kind === 'array') top.index++;
      else expectName = true;
    }
  }
  return undefined;
}
