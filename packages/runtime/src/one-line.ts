/**
 * Characters that could break a line or act on a terminal: C0 controls (a new line, ESC), DEL,
 * C1 controls (U+009B is a one-character CSI to some terminals), the Unicode line and paragraph
 * separators, and the bidirectional overrides and isolates (which reorder what follows).
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` on one line that cannot drive the terminal it is printed to: each character above is
 * written as an escape (`\n`, `\u001b`), for an error line that an argument, a file's name or a
 * reply brought such a character into.
 */
export function oneLine(text: string): string {
  return text.replace(UNSAFE, (c) =>
    c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
