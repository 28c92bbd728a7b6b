import { CommitlogError } from '@commitlog/core';
import { describe, expect, it } from 'vitest';
import { classifyError } from './classify-error.ts';

const kafka = (code: string, retriable: boolean) =>
  new CommitlogError(code, `produce failed: ${code}`, { retriable });

describe('classifyError', () => {
  it('fails for good on errors no retry can fix, with an operator-facing reason', () => {
    expect(classifyError(kafka('MESSAGE_TOO_LARGE', false))).toMatchObject({
      retriable: false,
      reason: 'too-large',
    });
    expect(classifyError(kafka('TOPIC_AUTHORIZATION_FAILED', false))).toMatchObject({
      retriable: false,
      reason: 'forbidden-topic',
    });
    expect(classifyError(kafka('INVALID_TOPIC_EXCEPTION', false)).reason).toBe('forbidden-topic');
  });

  it('retries what may pass: broker unavailable, timeouts, unknown errors', () => {
    expect(classifyError(kafka('KAFKA_PRODUCE_FAILED', true))).toMatchObject({ retriable: true });
    expect(classifyError(new Error('socket hang up'))).toMatchObject({
      retriable: true,
      reason: 'error',
    });
  });

  it('keeps other permanent domain errors permanent, reason from their code', () => {
    expect(classifyError(kafka('SOMETHING_ODD', false))).toMatchObject({
      retriable: false,
      reason: 'something-odd',
    });
  });
});
