import type { KafkaRecord } from '@commitlog/core';
import { compatibilityPartitioner, Producer, type MessageToProduce } from '@platformatic/kafka';
import { tlsOptions, type KafkaConnection } from './kafka-connection.ts';
import { toKafkaProduceError } from './kafka-errors.ts';
import { apiIdOf, failureMessage } from './platformatic-errors.ts';
import type { RecordProducer } from './record-producer.ts';
import { serialProducer } from './serial-producer.ts';

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toMessage(record: KafkaRecord): MessageToProduce {
  const headers = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(record.headers)) {
    headers.set(
      Buffer.from(name),
      typeof value === 'string' ? Buffer.from(value) : toBuffer(value),
    );
  }
  return {
    topic: record.topic,
    key: toBuffer(record.key),
    // A tombstone: the client encodes an undefined value as Kafka's null value.
    value: record.value === null ? undefined : toBuffer(record.value),
    headers,
  };
}

/**
 * The @platformatic/kafka implementation of `RecordProducer`, the same contract as kafkajs's:
 * acks=all (this client's default is the leader alone, so it is set on every send), one produce
 * request in flight (sends are queued here), not idempotent, and the Java client's partitioner
 * (`compatibilityPartitioner`; the client's default masks murmur2 differently, which would put a
 * key on another partition than kafkajs and Java do, and break per-key order across a switch),
 * and topics created on first use where the broker allows it (this client's default is not to).
 */
export async function createPlatformaticProducer(
  connection: KafkaConnection,
): Promise<RecordProducer> {
  const newProducer = (): Producer =>
    new Producer({
      clientId: connection.clientId ?? 'commitlog',
      bootstrapBrokers: connection.brokers,
      connectTimeout: connection.connectionTimeoutMs ?? 3000,
      requestTimeout: connection.requestTimeoutMs ?? 10_000,
      // Few, quick retries inside the client: the worker's lanes own the long retries.
      retries: 3,
      retryDelay: 100,
      idempotent: false,
      acks: -1,
      partitioner: compatibilityPartitioner,
      // As kafkajs and the Java producer do: a new bucket's topic is created on its first record
      // where the broker allows it (auto.create.topics.enable); where it does not, the send fails
      // as retriable and the lane retries until someone creates the topic.
      autocreateTopics: true,
      ...(connection.ssl ? { tls: tlsOptions(connection) } : {}),
      ...(connection.sasl
        ? {
            sasl: {
              mechanism: connection.sasl.mechanism.toUpperCase() as
                'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
              username: connection.sasl.username,
              password: connection.sasl.password,
            },
          }
        : {}),
    });
  let producer = newProducer();
  let connected = false;
  // Connects now, as the kafkajs producer does, so readiness shows Kafka from the start; not fatal:
  // while Kafka is down the sends fail as retriable errors until it is back.
  try {
    await producer.metadata({ topics: [] });
    connected = true;
  } catch {
    // The first send tries again and reports the error to its caller.
  }
  async function sendNow(records: readonly KafkaRecord[]): Promise<void> {
    try {
      await producer.send({ messages: records.map(toMessage), acks: -1 });
      connected = true;
    } catch (error) {
      connected = false;
      throw toKafkaProduceError(error, { type: apiIdOf(error), message: failureMessage(error) });
    }
  }

  async function abandon(): Promise<void> {
    const old = producer;
    producer = newProducer();
    connected = false;
    // Forced: a closing client fails its pending requests and cancels its retry timers.
    await old.close(true).catch(() => undefined);
  }

  return serialProducer({
    sendNow,
    abandon,
    isConnected: () => connected,
    disconnect: () => producer.close(),
  });
}
