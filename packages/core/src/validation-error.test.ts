import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CommitlogError, isRetriable } from './errors.ts';
import { formatPath, joinPath, ValidationError, validationErrorFrom } from './validation-error.ts';

describe('ValidationError', () => {
  it('is a non-retriable CommitlogError with a code, a path and a reason', () => {
    const error = new ValidationError('not valid base64', { path: 'siblings[0].value' });
    expect(error).toBeInstanceOf(CommitlogError);
    expect(error.name).toBe('ValidationError');
    expect(error.code).toBe('INVALID_COMMIT');
    expect(isRetriable(error)).toBe(false);
    expect(error.path).toBe('siblings[0].value');
    expect(error.reason).toBe('not valid base64');
    expect(error.message).toBe('siblings[0].value: not valid base64');
  });

  it('defaults to the root, and takes another code and a cause', () => {
    const cause = new SyntaxError('Unexpected token');
    const error = new ValidationError('body is not JSON', { code: 'INVALID_BATCH', cause });
    expect(error.path).toBe('');
    expect(error.message).toBe('body is not JSON');
    expect(error.code).toBe('INVALID_BATCH');
    expect(error.cause).toBe(cause);
  });
});

describe('formatPath and joinPath', () => {
  it('writes dotted names, bracketed indexes and quoted odd names', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['commits', 3, 'siblings', 0, 'value'])).toBe('commits[3].siblings[0].value');
    expect(formatPath(['usermeta', 'x-origin'])).toBe('usermeta["x-origin"]');
    expect(formatPath([0, 'a b', '$ok_1'])).toBe('[0]["a b"].$ok_1');
  });

  it('joins a prefix and a path', () => {
    expect(joinPath('commits[2]', 'siblings[0].value')).toBe('commits[2].siblings[0].value');
    expect(joinPath('commits[2]', '["x y"]')).toBe('commits[2]["x y"]');
    expect(joinPath('commits[2]', '')).toBe('commits[2]');
    expect(joinPath('', 'key')).toBe('key');
  });
});

describe('validationErrorFrom', () => {
  const schema = z.strictObject({ name: z.string(), tags: z.array(z.string()) });

  function errorFor(input: unknown, prefix?: string): ValidationError {
    const result = schema.safeParse(input);
    if (result.success) throw new Error('expected a failure');
    return validationErrorFrom(result.error, input, { code: 'INVALID_ROUTES', prefix });
  }

  it('builds its own messages from the input shape, not its values', () => {
    expect(errorFor({ tags: [] }).message).toBe('name: is required');
    expect(errorFor({ name: 'n', tags: [true] }).message).toBe(
      'tags[0]: expected a string, got a boolean',
    );
    expect(errorFor({ name: 1.25, tags: [] }).message).toBe(
      'name: expected a string, got a fractional number',
    );
    expect(errorFor({ name: 'n', tags: [], extra: 'secret' }, 'routes[1]').message).toBe(
      'routes[1].extra: unknown field',
    );
    expect(errorFor('secret').message).toBe('expected an object, got a string');
    expect(errorFor('secret').code).toBe('INVALID_ROUTES');
  });
});
