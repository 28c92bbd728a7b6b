import {
  MultipleErrors,
  produceV9,
  Reader,
  ResponseError,
  UserError,
  Writer,
} from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { toKafkaProduceError } from './kafka-errors.ts';
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

/** One partition's answer in a Produce response, as the broker writes it. */
interface PartitionAnswer {
  index: number;
  errorCode: number;
  errorMessage: string | null;
  recordErrors: { batchIndex: number; message: string }[];
}

/**
 * What @platformatic/kafka 2.12.1 throws for a Produce v9 response (v10 and v11 read their errors
 * the same way): the bytes a broker sends, read by the library's own `parseResponse`. For a
 * partition with record errors it lists each record's error (code -1, UNKNOWN_SERVER_ERROR, under
 * `/record_errors/`) before the partition's own error code.
 */
function produceFailure(partitions: PartitionAnswer[]): unknown {
  const body = Writer.create()
    .appendArray([{ name: 'riak.default.transactions', partitions }], (w, topic) => {
      w.appendString(topic.name).appendArray(topic.partitions, (w, p) => {
        w.appendInt32(p.index)
          .appendInt16(p.errorCode)
          .appendInt64(-1n) // base_offset
          .appendInt64(-1n) // log_append_time_ms
          .appendInt64(-1n) // log_start_offset
          .appendArray(p.recordErrors, (w, e) => {
            w.appendInt32(e.batchIndex).appendString(e.message);
          })
          .appendString(p.errorMessage);
      });
    })
    .appendInt32(0) // throttle_time_ms
    .appendTaggedFields();
  try {
    produceV9.parseResponse(7, 0, 9, Reader.from(body));
  } catch (error) {
    return error;
  }
  throw new Error('the response parsed without an error');
}

const INVALID_RECORD = 87;
const INVALID_TIMESTAMP = 32;
const NOT_LEADER_OR_FOLLOWER = 6;
const MESSAGE_TOO_LARGE = 10;

/** What the broker says of a record a compacted topic refuses (Kafka 3.9's LogValidator). */
function refusedRecord(index: number): PartitionAnswer {
  return {
    index,
    errorCode: INVALID_RECORD,
    errorMessage:
      "One or more records have been rejected due to 1 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=0, message='Compacted topic cannot accept message without key in topic partition riak.default.transactions-0.')]",
    recordErrors: [
      {
        batchIndex: 0,
        message:
          'Compacted topic cannot accept message without key in topic partition riak.default.transactions-0.',
      },
    ],
  };
}

describe('apiIdOf, on a Produce response with record errors', () => {
  it("is the partition's error, not its records' UNKNOWN_SERVER_ERROR: INVALID_RECORD fails at once", () => {
    const thrown = produceFailure([refusedRecord(0)]);
    // The library's own error, in the order the library lists its parts.
    expect(thrown).toBeInstanceOf(ResponseError);
    expect((thrown as ResponseError).errors.map((e: { apiId?: string }) => e.apiId)).toEqual([
      'UNKNOWN_SERVER_ERROR',
      'INVALID_RECORD',
    ]);

    expect(apiIdOf(thrown)).toBe('INVALID_RECORD');
    const wrapped = toKafkaProduceError(thrown, {
      type: apiIdOf(thrown),
      message: failureMessage(thrown),
    });
    expect(wrapped.code).toBe('INVALID_RECORD');
    expect(wrapped.retriable).toBe(false);
    // The message gives the broker's reason, not "an unexpected error".
    expect(wrapped.message).toContain('Compacted topic cannot accept message without key');
    expect(wrapped.message).not.toContain('unexpected error');
  });

  it("is the partition's error when that one is retriable too", () => {
    const thrown = produceFailure([
      {
        index: 0,
        errorCode: INVALID_TIMESTAMP,
        errorMessage: 'Timestamp 1 of message with offset 0 is out of range.',
        recordErrors: [
          { batchIndex: 0, message: 'Timestamp 1 of message with offset 0 is out of range.' },
        ],
      },
    ]);
    expect(apiIdOf(thrown)).toBe('INVALID_TIMESTAMP');
  });

  it('is the permanent one when partitions fail differently, whichever comes first', () => {
    // The callers never take a permanent error as the verdict of a request that held several
    // records (they send each alone again), so a request that failed for good is never masked
    // by a sibling partition that failed for a while.
    const notLeader: PartitionAnswer = {
      index: 1,
      errorCode: NOT_LEADER_OR_FOLLOWER,
      errorMessage: null,
      recordErrors: [],
    };
    const tooLarge: PartitionAnswer = {
      index: 2,
      errorCode: MESSAGE_TOO_LARGE,
      errorMessage: null,
      recordErrors: [],
    };
    expect(apiIdOf(produceFailure([notLeader, tooLarge]))).toBe('MESSAGE_TOO_LARGE');
    expect(apiIdOf(produceFailure([tooLarge, notLeader]))).toBe('MESSAGE_TOO_LARGE');
    expect(apiIdOf(produceFailure([notLeader, refusedRecord(0)]))).toBe('INVALID_RECORD');
    // Retriable ones only: the first, as before.
    expect(apiIdOf(produceFailure([notLeader]))).toBe('NOT_LEADER_OR_FOLLOWER');
  });

  it('finds the permanent error of any attempt of a retry loop', () => {
    const attempts = new AggregateError(
      [
        produceFailure([
          { index: 0, errorCode: NOT_LEADER_OR_FOLLOWER, errorMessage: null, recordErrors: [] },
        ]),
        produceFailure([refusedRecord(0)]),
      ],
      'produce failed 2 times.',
    );
    expect(apiIdOf(attempts)).toBe('INVALID_RECORD');
  });

  it("classifies a retry loop by its last try: a leader's move and then an outage is an outage", () => {
    const moved = () =>
      produceFailure([
        { index: 0, errorCode: NOT_LEADER_OR_FOLLOWER, errorMessage: null, recordErrors: [] },
      ]) as Error;
    const gone = () =>
      new AggregateError(
        [new Error('Connection to 127.0.0.1:9092 failed.')],
        'Cannot connect to any broker.',
      );
    const outage = new MultipleErrors('produce failed 3 times.', [moved(), gone(), gone()]);
    expect(apiIdOf(outage)).toBeUndefined();
    expect(failureMessage(outage)).toBe(
      'produce failed 3 times: Cannot connect to any broker: Connection to 127.0.0.1:9092 failed',
    );
    expect(
      toKafkaProduceError(outage, { type: apiIdOf(outage), message: failureMessage(outage) }),
    ).toMatchObject({ code: 'KAFKA_PRODUCE_FAILED', retriable: true, fromBroker: false });

    const answered = new MultipleErrors('produce failed 2 times.', [gone(), moved()]);
    expect(apiIdOf(answered)).toBe('NOT_LEADER_OR_FOLLOWER');
  });
});

describe('a topic the broker does not know, as @platformatic/kafka reports it', () => {
  // What 2.12.1 throws for a send (or a metadata request) naming a topic that does not exist, on
  // a broker that does not create topics: a UserError without the broker's error as its cause
  // (dist/clients/base/base.js, the metadata callback); alone, or inside the produce retry loop.
  const unknownTopic = () => new UserError('Unknown topic riak.default.absent.');

  it('is classified as kafkajs classifies it: UNKNOWN_TOPIC_OR_PARTITION, retriable, from a broker', () => {
    for (const thrown of [
      unknownTopic(),
      new MultipleErrors('produce failed 1 times.', [unknownTopic()]),
    ]) {
      expect(apiIdOf(thrown)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      const wrapped = toKafkaProduceError(thrown, {
        type: apiIdOf(thrown),
        message: failureMessage(thrown),
      });
      expect(wrapped).toMatchObject({
        code: 'UNKNOWN_TOPIC_OR_PARTITION',
        retriable: true,
        fromBroker: true,
      });
      expect(wrapped.message).toContain('Unknown topic riak.default.absent');
    }
  });

  it('is not any other UserError, nor an error of ours with the same words', () => {
    expect(apiIdOf(new UserError('Unknown partition 7.'))).toBeUndefined();
    expect(apiIdOf(new Error('Unknown topic riak.default.absent.'))).toBeUndefined();
  });
});
