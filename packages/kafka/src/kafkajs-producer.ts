import type { KafkaRecord } from '@commitlog/core';
import { CompressionTypes, Partitioners, type Message, type Producer } from 'kafkajs';
import type { Socket } from 'node:net';
import {
  brokerTimeout,
  createKafkaClient,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type KafkaConnection,
} from './kafka-connection.ts';
import { KafkaProduceError, toKafkaProduceError } from './kafka-errors.ts';
import type { RecordProducer } from './record-producer.ts';
import { serialProducer } from './serial-producer.ts';
import { resetSocket } from './socket-reset.ts';

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toMessage(record: KafkaRecord): Message {
  const headers: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    headers[name] = typeof value === 'string' ? value : toBuffer(value);
  }
  return {
    key: toBuffer(record.key),
    value: record.value === null ? null : toBuffer(record.value),
    headers,
  };
}

/** Groups records by topic, keeping their order within each topic. */
function byTopic(records: readonly KafkaRecord[]): { topic: string; messages: Message[] }[] {
  const groups = new Map<string, Message[]>();
  for (const record of records) {
    let messages = groups.get(record.topic);
    if (!messages) {
      messages = [];
      groups.set(record.topic, messages);
    }
    messages.push(toMessage(record));
  }
  return [...groups].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * The kafkajs implementation of `RecordProducer`: `acks=all` and one produce request in flight at a
 * time, which keeps per-partition order through retries. kafkajs can lose messages silently when
 * an idempotent producer sends concurrently (its issue #1005), so sends are queued here rather than
 * trusted to the caller, and idempotence is off: with one request in flight it adds no ordering,
 * and its sequence numbers do not survive the short retry budget we give the client (the lanes own
 * the long retries). A retried send may store a record twice; both copies carry the same
 * commitlog-id, which is what consumers de-duplicate on.
 */
/**
 * No retry inside kafkajs: its retry of a send skips every broker that answered the first try,
 * even when a failed partition's new leader is one of them, and then resolves with those records
 * never sent (tulios/kafkajs#1798): a leader moving mid-send on a cluster of two or more brokers
 * lost records silently. Each send fails whole instead (after kafkajs refreshes its metadata),
 * and the lanes retry it, with backoff, until the TTL.
 */
export const KAFKAJS_PRODUCER_RETRY = { retries: 0 } as const;

/**
 * Errors about one topic that kafkajs raises for a send to any other. Its client refreshes the
 * metadata of every topic it has ever sent to (when a send brings a topic it has not, and every
 * five minutes), and fails the send with the first topic's error: once a topic it wrote to is
 * deleted (on a broker that does not create topics) or forbidden to its login, sends to other
 * topics failed with that topic's error, a forbidden one for good (checked on kafkajs 2.2.4).
 */
const ANY_TOPIC_ERRORS: ReadonlySet<string> = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'INVALID_TOPIC_EXCEPTION',
]);

export async function createKafkajsProducer(connection: KafkaConnection): Promise<RecordProducer> {
  /**
   * A producer on a client of its own, which can be cut off: kafkajs's disconnect lets a request
   * in flight go out and its retries go on, so an abandoned producer's sockets are destroyed,
   * and any it opens later are destroyed as they open.
   */
  interface Generation {
    producer: Producer;
    /** Every topic this producer was asked to send to: what its metadata refreshes ask about. */
    topics: Set<string>;
    cutOff(): void;
  }
  const newGeneration = (): Generation => {
    const sockets = new Set<Socket>();
    let cut = false;
    const kafka = createKafkaClient(connection, (socket) => {
      // kafkajs listens for its sockets' errors only while it uses them; one destroyed here
      // after that must not crash the worker with an unhandled 'error' event.
      socket.on('error', () => undefined);
      if (cut) resetSocket(socket);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    const made = kafka.producer({
      idempotent: false,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: KAFKAJS_PRODUCER_RETRY,
    });
    made.on(made.events.DISCONNECT, () => {
      if (made === producer) connected = false;
    });
    return {
      producer: made,
      topics: new Set(),
      cutOff() {
        cut = true;
        // resetSocket, not resetAndDestroy: that throws on a TLS socket (ssl on).
        for (const socket of sockets) resetSocket(socket);
      },
    };
  };
  let connected = false;
  let generation = newGeneration();
  let producer = generation.producer;

  // Connects on first use and again after a disconnect, so that a worker can start, and go on,
  // while Kafka is down: its sends fail as retriable errors until the brokers are back.
  async function ensureConnected(): Promise<void> {
    if (connected) return;
    await producer.connect();
    connected = true;
  }

  try {
    await ensureConnected();
  } catch {
    // Not fatal: the first send tries again and reports the error to its caller.
  }

  async function sendOnce(records: readonly KafkaRecord[], topics: ReadonlySet<string>) {
    for (const topic of topics) generation.topics.add(topic);
    try {
      await ensureConnected();
      await producer.sendBatch({
        acks: -1,
        // Under the client's request timeout (kafkajs's default here is 30 s): see brokerTimeout.
        timeout: brokerTimeout(connection.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
        compression: CompressionTypes.None,
        topicMessages: byTopic(records),
      });
    } catch (error) {
      const wrapped = toKafkaProduceError(error);
      // Readiness reports the connection as down until a send goes through again, unless the
      // broker itself answered with an error (a record too large, a topic refused).
      if (!wrapped.fromBroker) connected = false;
      throw wrapped;
    }
  }

  async function sendNow(records: readonly KafkaRecord[]): Promise<void> {
    const topics = new Set(records.map((r) => r.topic));
    try {
      await sendOnce(records, topics);
    } catch (error) {
      const mayBeAboutAnotherTopic =
        error instanceof KafkaProduceError &&
        ANY_TOPIC_ERRORS.has(error.code) &&
        [...generation.topics].some((topic) => !topics.has(topic));
      if (!mayBeAboutAnotherTopic) throw error;
      // Once more on a fresh client, which knows only this request's topics: what it answers is
      // about them.
      await abandon();
      await sendOnce(records, topics);
    }
  }

  async function abandon(): Promise<void> {
    const old = generation;
    generation = newGeneration();
    producer = generation.producer;
    connected = false;
    old.cutOff();
    await old.producer.disconnect().catch(() => undefined);
  }

  return serialProducer({
    sendNow,
    abandon,
    isConnected: () => connected,
    disconnect: () => producer.disconnect(),
  });
}
