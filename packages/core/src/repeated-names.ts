import { formatPath } from './validation-error.ts';

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

type Frame =
  | { kind: 'object'; names: Set<string>; name: string | undefined }
  | { kind: 'array'; index: number };

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

/**
 * The path of the first member whose name an earlier member of the same object has, in JSON
 * text that `JSON.parse` accepted; undefined when no name repeats. `JSON.parse` keeps the last of
 * repeated names without a word, so `{"op": "put", …, "op": "delete"}` would be read as a delete
 * and `"usermeta": {"a": "1", "a": "2"}` would lose an entry. Names are compared as JSON reads
 * them (`"\u0061"` is `"a"`). Strings are skipped whole with `indexOf`, so a body of long base64
 * values costs little more than its punctuation.
 */
export function repeatedNamePath(text: string): string | undefined {
  const stack: Frame[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack.at(-1);
      if (expectName && top?.kind === 'object') {
        const raw = text.slice(i + 1, end);
        const name = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (top.names.has(name)) {
          const parents = stack.slice(0, -1).map((f) => (f.kind === 'array' ? f.index : f.name!));
          return formatPath([...parents, name]);
        }
        top.names.add(name);
        top.name = name;
        expectName = false;
      }
      i = end;
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
