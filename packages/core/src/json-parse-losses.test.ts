import { describe, expect, it } from 'vitest';
import { jsonParseLoss, roundsToWholeNumber } from './json-parse-losses.ts';

/** The path of the repeated name `jsonParseLoss` finds, or undefined for none (or another loss). */
function repeatedNamePath(text: string): string | undefined {
  const loss = jsonParseLoss(text);
  return loss?.kind === 'repeated-name' ? loss.path : undefined;
}

describe('jsonParseLoss: repeated names', () => {
  it('finds a name repeated in one object, with its path', () => {
    expect(repeatedNamePath('{"op":"put","key":"k","op":"delete"}')).toBe('op');
    expect(
      repeatedNamePath('{"siblings":[{"value":""},{"usermeta":{"a":"1","b":"2","a":"3"}}]}'),
    ).toBe('siblings[1].usermeta.a');
    expect(repeatedNamePath('{"commits":[{},{"k":1,"x-y":2,"x-y":3}]}')).toBe('commits[1]["x-y"]');
  });

  it('compares names as JSON reads them', () => {
    expect(repeatedNamePath('{"a":1,"\\u0061":2}')).toBe('a');
    expect(repeatedNamePath('{"a\\"b":1,"a\\u0022b":2}')).toBe('["a\\"b"]');
  });

  it('passes the same name in different objects, and names that only look alike', () => {
    expect(repeatedNamePath('{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":{"b":1}}')).toBeUndefined();
    expect(repeatedNamePath('{"a":1,"A":2,"a ":3}')).toBeUndefined();
    expect(repeatedNamePath('[1,{"x":1},{"x":2}]')).toBeUndefined();
  });

  it('does not read names, braces or commas inside strings', () => {
    const tricky = '{"v":"\\"a\\":1, {\\"v\\":2}, \\\\","w":"}{,\\"v\\"","x":"\\\\\\\\"}';
    expect(Object.keys(JSON.parse(tricky) as object)).toEqual(['v', 'w', 'x']);
    expect(repeatedNamePath(tricky)).toBeUndefined();
    expect(repeatedNamePath(`${tricky.slice(0, -1)},"v":3}`)).toBe('v');
  });

  it('reads whitespace between tokens as JSON does', () => {
    expect(repeatedNamePath(' {\n "a" : 1 ,\n\t"a" : [ 1 , 2 ] }')).toBe('a');
    expect(repeatedNamePath('{ "a" : [ { } , { "b" : 1 , "c" : 2 } ] }')).toBeUndefined();
  });
});

describe('jsonParseLoss: numbers that read as another whole number', () => {
  it('finds one with its path, wherever it is', () => {
    expect(
      jsonParseLoss('{"siblings":[{"indexes":{"amount_int":[5,1.0000000000000001]}}]}'),
    ).toEqual({ kind: 'rounded-number', path: 'siblings[0].indexes.amount_int[1]' });
    expect(jsonParseLoss('{"a":{"b":9007199254740993}}')).toEqual({
      kind: 'rounded-number',
      path: 'a.b',
    });
    expect(jsonParseLoss('[0, -4503599627370496.5]')).toEqual({
      kind: 'rounded-number',
      path: '[1]',
    });
    expect(jsonParseLoss('12345678901234567890')).toEqual({ kind: 'rounded-number', path: '' });
  });

  it('passes numbers that read exactly, and fractions (the schema says what the field wants)', () => {
    expect(
      jsonParseLoss('{"a":[0,-0,7,-12,9007199254740991,9007199254740992,1.5,-0.25,1e3,1.0,10e-1]}'),
    ).toBeUndefined();
    expect(jsonParseLoss('{"a":1e400,"b":0e999,"c":-0.0}')).toBeUndefined();
  });

  it('does not read digits inside strings or names', () => {
    expect(jsonParseLoss('{"9007199254740993":"1.0000000000000001"}')).toBeUndefined();
  });

  it('reports whichever loss comes first', () => {
    expect(jsonParseLoss('{"a":1,"a":9007199254740993}')).toEqual({
      kind: 'repeated-name',
      path: 'a',
    });
    expect(jsonParseLoss('{"a":9007199254740993,"a":1}')).toEqual({
      kind: 'rounded-number',
      path: 'a',
    });
  });
});

describe('roundsToWholeNumber', () => {
  it('compares the written digits with the double exactly', () => {
    expect(roundsToWholeNumber('1.0000000000000001')).toBe(true);
    expect(roundsToWholeNumber('9007199254740993')).toBe(true);
    expect(roundsToWholeNumber('-9007199254740993')).toBe(true);
    expect(roundsToWholeNumber('1e-400')).toBe(true); // reads as 0
    expect(roundsToWholeNumber('100000000000000000000001e-23')).toBe(true);
    expect(roundsToWholeNumber('9007199254740992')).toBe(false);
    expect(roundsToWholeNumber('1e22')).toBe(false);
    expect(roundsToWholeNumber('0.000')).toBe(false);
    expect(roundsToWholeNumber('2.5')).toBe(false);
  });
});
