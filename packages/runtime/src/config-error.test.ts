import { CommitlogError } from '@commitlog/core';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';

describe('ConfigError', () => {
  it('is a non-retriable CommitlogError that lists every problem on one line', () => {
    const error = new ConfigError([
      { variable: 'INGEST_PORT', message: 'must be an integer from 1 to 65535 (got "abc")' },
      { variable: 'LANES', message: 'must be an integer from 1 to 4096 (got "0")' },
    ]);
    expect(error).toBeInstanceOf(CommitlogError);
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.retriable).toBe(false);
    expect(error.name).toBe('ConfigError');
    expect(error.problems.map((p) => p.variable)).toEqual(['INGEST_PORT', 'LANES']);
    expect(error.message).toBe(
      'invalid configuration: ' +
        'INGEST_PORT: must be an integer from 1 to 65535 (got "abc"); ' +
        'LANES: must be an integer from 1 to 4096 (got "0")',
    );
  });
});
