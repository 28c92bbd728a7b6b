import { CommitlogError, isPermanentCode } from '@commitlog/core';

/** A produce that Kafka did not acknowledge. `code` is Kafka's error type where it gave one. */
export class KafkaProduceError extends CommitlogError {
  /**
   * A broker answered with this error (a Kafka error type) on a connection the client can use:
   * readiness shows Kafka connected then. False when none answered, and for a refused login (the
   * broker answers, but the connection is of no use).
   */
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

/**
 * Kafka's current names for error types a client reports under an older one, so that a failure
 * reason (and its metric label) does not depend on the client: kafkajs 2.2.4 still calls error 6
 * by its name before Kafka 2.6 (KIP-392), and error -1 `UNKNOWN` where Kafka and
 * @platformatic/kafka say UNKNOWN_SERVER_ERROR.
 */
const CURRENT_NAMES: Record<string, string> = {
  NOT_LEADER_FOR_PARTITION: 'NOT_LEADER_OR_FOLLOWER',
  UNKNOWN: 'UNKNOWN_SERVER_ERROR',
};

/**
 * Errors a client raises for a broker's refusal without giving its Kafka error type: kafkajs's
 * SASL failure (the broker's SaslAuthenticate answer), which @platformatic/kafka reports as
 * SASL_AUTHENTICATION_FAILED.
 */
const TYPE_BY_ERROR_NAME: Record<string, string> = {
  KafkaJSSASLAuthenticationError: 'SASL_AUTHENTICATION_FAILED',
};

/** The broker's refusals of the client's SASL login: a wrong password, mechanism or exchange. */
const LOGIN_REFUSED = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
]);

/** The first Kafka protocol error type (e.g. `MESSAGE_TOO_LARGE`) in an error's cause chain. */
function protocolType(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as KafkaLikeError & { name?: unknown };
    if (typeof candidate.type === 'string') return candidate.type;
    const named =
      typeof candidate.name === 'string' ? TYPE_BY_ERROR_NAME[candidate.name] : undefined;
    if (named !== undefined) return named;
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
  const reported = known.type ?? protocolType(error);
  const type = reported === undefined ? undefined : (CURRENT_NAMES[reported] ?? reported);
  const message = known.message ?? (error instanceof Error ? error.message : String(error));
  return new KafkaProduceError(type ?? 'KAFKA_PRODUCE_FAILED', `produce failed: ${message}`, {
    // kafkajs's own flag is not enough: it marks an exhausted retry loop as non-retriable even
    // when the broker was merely down. Only error types no retry can fix are permanent.
    retriable: type === undefined || !isPermanentCode(type),
    cause: error,
    fromBroker: type !== undefined && !LOGIN_REFUSED.has(type),
  });
}
