import { describe, expect, it } from 'vitest';
import { CommitlogError, isRetriable } from './errors.ts';

class RecordTooLargeError extends CommitlogError {
  constructor(bytes: number) {
    super('RECORD_TOO_LARGE', `record of ${bytes} bytes is over the topic's limit`, {
      retriable: false,
    });
  }
}

describe('CommitlogError', () => {
  it('carries a stable code, a retriable flag, its cause and the subclass name', () => {
    const cause = new Error('socket hang up');
    const error = new CommitlogError('KAFKA_UNAVAILABLE', 'Kafka is unreachable', {
      retriable: true,
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('KAFKA_UNAVAILABLE');
    expect(error.retriable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(new RecordTooLargeError(2_000_000).name).toBe('RecordTooLargeError');
  });

  it('classifies by the flag, and treats unknown errors as retriable', () => {
    expect(isRetriable(new RecordTooLargeError(1))).toBe(false);
    expect(isRetriable(new CommitlogError('X', 'x', { retriable: true }))).toBe(true);
    expect(isRetriable(new TypeError('boom'))).toBe(true);
  });
});
