import { describe, expect, it } from 'vitest';
import { apiIdOf, failureMessage } from './platformatic-errors.ts';

/** The shape @platformatic/kafka throws for a refused login (its classes extend these). */
function refusedLogin(): Error {
  const protocol = Object.assign(new Error('SASL authentication failed.'), {
    apiId: 'SASL_AUTHENTICATION_FAILED',
  });
  const response = new Error(
    'Received response with error while executing API SaslAuthenticate(v2)',
    {
      cause: protocol,
    },
  );
  const auth = new Error('SASL authentication failed.', { cause: response });
  const network = new Error('Connection to 127.0.0.1:9094 failed.', { cause: auth });
  const round = new AggregateError([network], 'Cannot connect to any broker.');
  return new AggregateError([round, round], 'metadata failed 2 times.');
}

describe('failureMessage', () => {
  it('follows the first branch down to the reason, each message once', () => {
    expect(failureMessage(refusedLogin())).toBe(
      'metadata failed 2 times: Cannot connect to any broker: Connection to 127.0.0.1:9094 failed: SASL authentication failed: Received response with error while executing API SaslAuthenticate(v2)',
    );
  });

  it('names a certificate that does not verify', () => {
    const tls = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    const error = new AggregateError(
      [new Error('Connection to 127.0.0.1:9094 failed.', { cause: tls })],
      'metadata failed 4 times.',
    );
    expect(failureMessage(error)).toBe(
      'metadata failed 4 times: Connection to 127.0.0.1:9094 failed: unable to verify the first certificate',
    );
  });

  it('is the plain message of an error without a tree, and the text of a non-error', () => {
    expect(failureMessage(new Error('boom'))).toBe('boom');
    expect(failureMessage('just text')).toBe('just text');
  });

  it('stops at a cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(failureMessage(a)).toBe('a: b');
  });
});

describe('apiIdOf', () => {
  it('finds the Kafka error type anywhere in the tree', () => {
    expect(apiIdOf(refusedLogin())).toBe('SASL_AUTHENTICATION_FAILED');
    expect(apiIdOf(new AggregateError([new Error('x')], 'y'))).toBeUndefined();
  });
});
