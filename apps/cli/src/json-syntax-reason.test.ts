import { describe, expect, it } from 'vitest';
import { jsonSyntaxReason } from './json-syntax-reason.ts';

/** The reason given for `text`, which must not parse. */
function reasonFor(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return jsonSyntaxReason(text, (error as Error).message);
  }
  throw new Error(`${text} parsed`);
}

describe('why a text is not JSON', () => {
  it("is JSON.parse's message when that names only a rule and a position", () => {
    expect(reasonFor('{"a": "v" 1}')).toBe(
      "Expected ',' or '}' after property value in JSON at position 10 (line 1 column 11)",
    );
    expect(reasonFor('[1, ')).toBe('Unexpected end of JSON input');
    expect(reasonFor('{"a": 1}}')).toBe(
      'Unexpected non-whitespace character after JSON at position 8 (line 1 column 9)',
    );
  });

  it('is only the position when JSON.parse quotes the text, short or long', () => {
    // Node 24: `Unexpected token 'x', "[1, x]" is not valid JSON`.
    expect(reasonFor('[1, x]')).toBe('Unexpected token at position 4 (line 1 column 5)');
    // Node 24: `Unexpected token 'c', ..."ret-value", card-4111"... is not valid JSON`.
    const long = '{"value": ["a-secret-value", card-4111-1111-1111-1111]}';
    const reason = reasonFor(long);
    expect(reason).toBe('Unexpected token at position 29 (line 1 column 30)');
    expect(long[29]).toBe('c');
    expect(reasonFor("'single'")).toBe('Unexpected token at position 0 (line 1 column 1)');
  });

  it('counts lines as JSON.parse does: \\r\\n, \\r or \\n each end one', () => {
    // The same "x" at the same place: quoted by JSON.parse in the first, placed by it in the second.
    expect(reasonFor('{\r\n"a": 1,\r"b": 2,\n"c":x}')).toBe(
      'Unexpected token at position 23 (line 4 column 5)',
    );
    expect(reasonFor('{\r\n"a": 1,\r"b": 2,\n"c" x}')).toBe(
      "Expected ':' after property name in JSON at position 23 (line 4 column 5)",
    );
  });
});
