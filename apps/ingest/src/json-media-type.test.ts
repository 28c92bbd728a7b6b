import { describe, expect, it } from 'vitest';
import { jsonMediaTypeProblem } from './json-media-type.ts';

describe('jsonMediaTypeProblem', () => {
  it.each([
    'application/json',
    'APPLICATION/JSON',
    'application/json; charset=utf-8',
    'application/json;charset=UTF8',
    'application/json; charset="utf-8"',
    'application/json; foo=bar',
  ])('accepts %s', (type) => {
    expect(jsonMediaTypeProblem(type, undefined)).toBeUndefined();
  });

  it.each([
    undefined,
    '',
    'text/plain',
    'application/jsonx',
    'application/x-www-form-urlencoded',
    'application/json; charset=latin1',
    'application/json; charset',
  ])('refuses %s', (type) => {
    expect(jsonMediaTypeProblem(type, undefined)).toEqual(expect.any(String));
  });

  it('refuses a compressed body and accepts identity', () => {
    expect(jsonMediaTypeProblem('application/json', 'gzip')).toMatch(/Content-Encoding/);
    expect(jsonMediaTypeProblem('application/json', 'identity')).toBeUndefined();
  });
});
