import kafkajs from 'kafkajs';
import { isPermanentFailure } from '@commitlog/core';
import { describe, expect, it } from 'vitest';
import { KafkaProduceError, toKafkaProduceError } from './kafka-errors.ts';

const {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} = kafkajs;

function protocolError(type: string, retriable: boolean): Error {
  return new KafkaJSProtocolError({
    message: `broker says ${type}`,
    type,
    code: 1,
    retriable,
  } as never);
}

describe('toKafkaProduceError, on the errors kafkajs really throws', () => {
  it('finds a permanent broker error behind an exhausted retry loop', () => {
    const thrown = new KafkaJSNumberOfRetriesExceeded(protocolError('MESSAGE_TOO_LARGE', false), {
      retryCount: 3,
      retryTime: 100,
    });
    const wrapped = toKafkaProduceError(thrown);
    expect(wrapped).toBeInstanceOf(KafkaProduceError);
    expect(wrapped.code).toBe('MESSAGE_TOO_LARGE');
    expect(wrapped.retriable).toBe(false);
    expect(wrapped.cause).toBe(thrown);
  });

  it('keeps a broker that is merely down retriable, even when kafkajs gave up on it', () => {
    const down = new KafkaJSNumberOfRetriesExceeded(protocolError('NOT_LEADER_OR_FOLLOWER', true), {
      retryCount: 3,
      retryTime: 100,
    });
    expect(toKafkaProduceError(down)).toMatchObject({
      code: 'NOT_LEADER_OR_FOLLOWER',
      retriable: true,
    });
    const refused = new KafkaJSConnectionError('Connection error: ECONNREFUSED');
    expect(toKafkaProduceError(refused)).toMatchObject({
      code: 'KAFKA_PRODUCE_FAILED',
      retriable: true,
    });
  });

  it('names a failure as Kafka does now, whichever client reported it', () => {
    // kafkajs 2.2.4 calls error 6 by its name before KIP-392; @platformatic/kafka by the current one.
    expect(toKafkaProduceError(protocolError('NOT_LEADER_FOR_PARTITION', true))).toMatchObject({
      code: 'NOT_LEADER_OR_FOLLOWER',
      retriable: true,
      fromBroker: true,
    });
    // Error -1: kafkajs's UNKNOWN is Kafka's (and @platformatic/kafka's) UNKNOWN_SERVER_ERROR.
    expect(toKafkaProduceError(protocolError('UNKNOWN', true))).toMatchObject({
      code: 'UNKNOWN_SERVER_ERROR',
      retriable: true,
    });
    // kafkajs's SASL refusal carries no error type; @platformatic/kafka's is this one.
    // (Its typings declare no arguments; the class takes a message, as kafkajs's SASL code gives.)
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const refused = new SaslError('SASL SCRAM SHA256 authentication failed');
    expect(toKafkaProduceError(refused)).toMatchObject({
      code: 'SASL_AUTHENTICATION_FAILED',
      retriable: true,
      // A broker answered, but with no connection to use: readiness shows Kafka not connected.
      fromBroker: false,
    });
    for (const type of ['UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE']) {
      expect(toKafkaProduceError(protocolError(type, false))).toMatchObject({ fromBroker: false });
    }
  });

  it('treats a forbidden topic as permanent', () => {
    expect(toKafkaProduceError(protocolError('TOPIC_AUTHORIZATION_FAILED', false)).retriable).toBe(
      false,
    );
    expect(toKafkaProduceError(protocolError('INVALID_TOPIC_EXCEPTION', false)).retriable).toBe(
      false,
    );
  });

  it('holds the lanes for a login refused every write, though kafkajs calls it not retriable', () => {
    const refused = toKafkaProduceError(protocolError('CLUSTER_AUTHORIZATION_FAILED', false));
    expect(refused).toMatchObject({ code: 'CLUSTER_AUTHORIZATION_FAILED', retriable: true });
    expect(isPermanentFailure(refused)).toBe(false);
  });
});
