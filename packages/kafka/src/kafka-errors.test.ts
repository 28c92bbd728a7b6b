import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaProduceError, toKafkaProduceError } from './kafka-errors.ts';

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;

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

  it('treats a forbidden topic as permanent', () => {
    expect(toKafkaProduceError(protocolError('TOPIC_AUTHORIZATION_FAILED', false)).retriable).toBe(
      false,
    );
    expect(toKafkaProduceError(protocolError('INVALID_TOPIC_EXCEPTION', false)).retriable).toBe(
      false,
    );
  });
});
