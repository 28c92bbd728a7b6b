import { describe, expect, it } from 'vitest';
import { repeatedNamePath } from './repeated-names.ts';

describe('repeatedNamePath', () => {
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
