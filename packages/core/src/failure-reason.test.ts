import { describe, expect, it } from 'vitest';
import { CommitTooLargeError } from './commit-size.ts';
import { CommitlogError } from './errors.ts';
import {
  failureReason,
  isPermanentCode,
  isPermanentFailure,
  PERMANENT_FAILURE_REASONS,
} from './failure-reason.ts';
import { ExpiredError } from './retry-policy.ts';
import { ForbiddenTopicError } from './topic-routing.ts';
import { ValidationError } from './validation-error.ts';

const kafka = (code: string, retriable: boolean) =>
  new CommitlogError(code, `produce failed: ${code}`, { retriable });

describe('failureReason', () => {
  it('gives known permanent errors the names operators filter on', () => {
    expect(failureReason(new ExpiredError())).toBe('expired');
    expect(failureReason(new ForbiddenTopicError('t'))).toBe('forbidden-topic');
    expect(failureReason(new CommitTooLargeError(2, 1))).toBe('too-large');
    expect(failureReason(kafka('MESSAGE_TOO_LARGE', false))).toBe('too-large');
    expect(failureReason(kafka('TOPIC_AUTHORIZATION_FAILED', false))).toBe('forbidden-topic');
    expect(failureReason(kafka('INVALID_TOPIC_EXCEPTION', true))).toBe('forbidden-topic');
  });

  it('names other errors of ours by their code, and anything else "error"', () => {
    expect(failureReason(new ValidationError('x'))).toBe('invalid-commit');
    expect(failureReason(kafka('NOT_ENOUGH_REPLICAS', true))).toBe('not-enough-replicas');
    expect(failureReason(kafka('CLUSTER_AUTHORIZATION_FAILED', false))).toBe(
      'cluster-authorization-failed',
    );
    expect(failureReason(new Error('boom'))).toBe('error');
    expect(failureReason('boom')).toBe('error');
    expect(failureReason(undefined)).toBe('error');
  });
});

describe('isPermanentCode', () => {
  it('leaves out a login refused every write: it holds the lanes, as an outage does', () => {
    expect(isPermanentCode('CLUSTER_AUTHORIZATION_FAILED')).toBe(false);
    expect(isPermanentCode('TOPIC_AUTHORIZATION_FAILED')).toBe(true);
  });
});

describe('PERMANENT_FAILURE_REASONS', () => {
  it('names each reason a known permanent error gets, once', () => {
    expect([...PERMANENT_FAILURE_REASONS].sort()).toEqual([
      'expired',
      'forbidden-topic',
      'invalid-record',
      'too-large',
    ]);
    for (const code of ['MESSAGE_TOO_LARGE', 'FORBIDDEN_TOPIC', 'INVALID_RECORD']) {
      expect(PERMANENT_FAILURE_REASONS).toContain(failureReason(kafka(code, false)));
    }
    expect(PERMANENT_FAILURE_REASONS).toContain(failureReason(new ExpiredError()));
  });
});

describe('isPermanentFailure', () => {
  it('is true for known permanent codes even when the client called them retriable', () => {
    expect(isPermanentFailure(kafka('MESSAGE_TOO_LARGE', true))).toBe(true);
    expect(isPermanentFailure(new ExpiredError())).toBe(true);
    expect(isPermanentFailure(kafka('SOMETHING_ODD', false))).toBe(true);
  });

  it('is false for what may pass with time, and for errors we did not classify', () => {
    expect(isPermanentFailure(kafka('NOT_ENOUGH_REPLICAS', true))).toBe(false);
    expect(isPermanentFailure(kafka('KAFKA_PRODUCE_FAILED', true))).toBe(false);
    expect(isPermanentFailure(new Error('socket hang up'))).toBe(false);
  });
});
