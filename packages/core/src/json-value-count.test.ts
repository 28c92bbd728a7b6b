import { describe, expect, it } from 'vitest';
import { countJsonValues, measureJson } from './json-value-count.ts';

const count = (text: string) => countJsonValues(Buffer.from(text));

describe('countJsonValues', () => {
  it('counts one per container opened and per comma, and one for the whole', () => {
    expect(count('1')).toBe(1);
    expect(count('{}')).toBe(2);
    expect(count('{"commits":[{},{},{}]}')).toBe(8);
    expect(count('[1,2,3]')).toBe(4);
  });

  it('skips strings, their commas, brackets and escaped quotes included', () => {
    expect(count('{"a":"x,{[y]}","b":"q\\"u,o\\\\"}')).toBe(3);
    expect(count('["\\\\",1]')).toBe(3);
  });

  it('stays bounded by the length for text that is not JSON', () => {
    expect(count('"never closed, {[,')).toBe(1);
    expect(count(',,,,')).toBe(5);
  });

  it('measures how deeply containers nest, brackets inside strings aside', () => {
    const depth = (text: string) => measureJson(Buffer.from(text)).depth;
    expect(depth('1')).toBe(0);
    expect(depth('{"commits":[{"siblings":[{}]}]}')).toBe(5);
    expect(depth('[[],[],[[]]]')).toBe(3);
    expect(depth('{"a":"[[[{{{"}')).toBe(1);
    expect(depth('{"a":'.repeat(1000))).toBe(1000);
  });
});
