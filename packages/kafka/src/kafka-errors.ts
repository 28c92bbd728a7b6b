import { CommitlogError, isPermanentCode } from '@commitlog/core';

/** A produce that Kafka did not acknowledge. `code` is Kafka's error type where it gave one. */
export class KafkaProduceError extends CommitlogError {
  /** A broker answered with this error (a Kafka error type), rather than none answering. */
  readonly fromBroker: boolean;

  constructor(
    code: string,
    message: string,
    options: { retriable: boolean; cause?: unknown; fromBroker?: boolean },
  ) {
    super(code, message, options);
    this.fromBroker = options.fromBroker ?? false;
  }
}

interface KafkaLikeError {
  type?: unknown;
  originalError?: unknown;
  cause?: unknown;
  message?: unknown;
}

/** The first Kafka protocol error type (e.g. `MESSAGE_TOO_LARGE`) in an error's cause chain. */
function protocolType(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as KafkaLikeError;
    if (typeof candidate.type === 'string') return candidate.type;
    current = candidate.originalError ?? candidate.cause;
  }
  return undefined;
}

/**
 * Wraps whatever the Kafka client threw, once, at the package boundary. `known` is what a client
 * reports its own way: the Kafka error type (@platformatic/kafka's `apiId`) and a message that
 * says more than the thrown error's own.
 */
export function toKafkaProduceError(
  error: unknown,
  known: { type?: string | undefined; message?: string } = {},
): KafkaProduceError {
  const type = known.type ?? protocolType(error);
  const message = known.message ?? (error instanceof Error ? error.message : String(error));
  return new KafkaProduceError(type ?? 'KAFKA_PRODUCE_FAILED', `produce failed: ${message}`, {
    // kafkajs's own flag is not enough: it marks an exhausted retry loop as non-retriable even
    // when the broker was merely down. Only error types no retry can fix are permanent.
    retriable: type === undefined || !isPermanentCode(type),
    cause: error,
    fromBroker: type !== undefined,
  });
}
