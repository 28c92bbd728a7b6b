import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './config-error.ts';
import { complete, optional, readEnv, required, withDefault } from './env-schema.ts';
import { integer, text } from './env-values.ts';

const SCHEMA = z.object({
  SIZE: withDefault(integer(1, 10), '5'),
  NAME: required(text, 'a name'),
  NOTE: optional(text),
  PASSWORD: optional(text, { keepWhitespace: true }),
});

describe('readEnv', () => {
  it('reads typed values, applying defaults to unset and blank variables', () => {
    const { values, problems } = readEnv(SCHEMA, {
      SIZE: ' ',
      NAME: ' x ',
      PASSWORD: ' p ',
      OTHER: 'ignored',
    });
    expect(problems).toEqual([]);
    expect(values).toEqual({ SIZE: 5, NAME: 'x', NOTE: undefined, PASSWORD: ' p ' });
  });

  it('reports every bad variable and keeps the values that were read', () => {
    const { values, problems } = readEnv(SCHEMA, { SIZE: '11', NOTE: 'n' });
    expect(problems).toEqual([
      { variable: 'SIZE', message: 'must be an integer from 1 to 10 (got "11")' },
      { variable: 'NAME', message: 'is required: a name' },
    ]);
    expect(values).toEqual({ NOTE: 'n', PASSWORD: undefined });
  });
});

describe('complete', () => {
  it('returns the values when there is no problem, and throws them all otherwise', () => {
    expect(complete<typeof SCHEMA.shape>({ SIZE: 1, NAME: 'n' }, [])).toEqual({
      SIZE: 1,
      NAME: 'n',
    });
    const problems = [{ variable: 'NAME', message: 'is required: a name' }];
    expect(() => complete({}, problems)).toThrow(ConfigError);
  });
});
