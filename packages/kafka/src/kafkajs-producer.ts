import type { KafkaRecord } from '@commitlog/core';
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Socket } from 'node:net';
import {
  brokerTimeout,
  createKafkaClient,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type KafkaConnection,
} from './kafka-connection.ts';
import { KafkaProduceError, toKafkaProduceError } from './kafka-errors.ts';
import type { TopicStanding } from './missing-topic.ts';
import { collisionCheck, explainTopicRefusal } from './topic-collision.ts';
import { createWriteHistory } from './write-refusal.ts';
import { listTopicsOnce } from './kafka-admin.ts';
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
  const collisions = collisionCheck(() => listTopicsOnce(connection));
  /**
   * A producer on a client of its own, which can be cut off: kafkajs's disconnect lets a request
   * in flight go out and its retries go on, so an abandoned producer's sockets are destroyed,
   * and any it opens later are destroyed as they open.
   */
  interface Generation {
    /** The client the producer is on: its admin asks about topics on the same sockets' terms. */
    client: Kafka;
    producer: Producer;
    /** Whether its producer is connected (readiness reads the current generation's). */
    connected: boolean;
    /** Its producer's connect under way, shared by everything that needs it meanwhile. */
    connecting?: Promise<void>;
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
    const made: Generation = {
      client: kafka,
      producer: kafka.producer({
        idempotent: false,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: KAFKAJS_PRODUCER_RETRY,
      }),
      connected: false,
      topics: new Set(),
      cutOff() {
        cut = true;
        // resetSocket, not resetAndDestroy: that throws on a TLS socket (ssl on).
        for (const socket of sockets) resetSocket(socket);
      },
    };
    made.producer.on(made.producer.events.DISCONNECT, () => {
      made.connected = false;
    });
    return made;
  };
  let generation = newGeneration();

  // Connects on first use and again after a disconnect, so that a worker can start, and go on,
  // while Kafka is down: its sends fail as retriable errors until the brokers are back.
  async function ensureConnected(g: Generation): Promise<void> {
    if (g.connected) return;
    g.connecting ??= g.producer.connect().finally(() => (g.connecting = undefined));
    await g.connecting;
    g.connected = true;
  }

  try {
    await ensureConnected(generation);
  } catch {
    // Not fatal: the first send tries again and reports the error to its caller.
  }

  /**
   * One produce request on generation `g`, named by the caller rather than read after an await:
   * a send given up meanwhile (its settle-by time passed, see serialProducer) must never go out
   * on the client that took over from it.
   */
  async function sendOnce(
    g: Generation,
    records: readonly KafkaRecord[],
    topics: ReadonlySet<string>,
  ) {
    for (const topic of topics) g.topics.add(topic);
    try {
      await ensureConnected(g);
      await g.producer.sendBatch({
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
      if (!wrapped.fromBroker) g.connected = false;
      throw wrapped;
    }
  }

  /** What the producer wrote, and when (explainTopicRefusal). */
  const writes = createWriteHistory();
  async function sendNow(records: readonly KafkaRecord[]): Promise<void> {
    const topics = new Set(records.map((r) => r.topic));
    let g = generation;
    try {
      try {
        await sendOnce(g, records, topics);
        writes.wrote(topics, Date.now());
      } catch (error) {
        // Only while its client is still the current one: given up meanwhile, the send is over.
        const mayBeAboutAnotherTopic =
          g === generation &&
          error instanceof KafkaProduceError &&
          ANY_TOPIC_ERRORS.has(error.code) &&
          [...g.topics].some((topic) => !topics.has(topic));
        if (!mayBeAboutAnotherTopic) throw error;
        // Once more on a fresh client, which knows only this request's topics: what it answers
        // is about them. Taken at once, with no await between: nothing can give it up first.
        g = abandon();
        await sendOnce(g, records, topics);
        writes.wrote(topics, Date.now());
      }
    } catch (error) {
      const asked = g;
      throw await explainTopicRefusal(error, topics, {
        standing: (topic) => topicStanding(asked, topic),
        collisions,
        writes,
      });
    }
  }

  /**
   * Asks about a topic without creating it (see `distinguishMissingTopic`): kafkajs's admin
   * client never asks the broker to create topics. On the generation's own client, so that one
   * cut off meanwhile cannot reach a broker; no retries, since the send's caller retries.
   */
  async function topicStanding(g: Generation, topic: string): Promise<TopicStanding> {
    const admin = g.client.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      await admin.fetchTopicMetadata({ topics: [topic] });
      return 'exists';
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (type === 'TOPIC_AUTHORIZATION_FAILED') return 'forbidden';
      if (type === 'UNKNOWN_TOPIC_OR_PARTITION') return 'missing';
      return 'unknown';
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * Cuts the current client off and puts a fresh one in its place, which it returns. The old
   * one's disconnect is not waited for: its sockets are reset, and any it opens is reset as it
   * opens, so nothing it still does reaches a broker. kafkajs does not notice the reset, and its
   * disconnect waited out its request time-out, holding every lane of the worker meanwhile.
   */
  function abandon(): Generation {
    const old = generation;
    generation = newGeneration();
    old.cutOff();
    old.producer.disconnect().catch(() => undefined);
    // Connected now, not at the next send: readiness would otherwise show Kafka down while the
    // worker is idle after a refusal that a broker answered (a record too large, say).
    ensureConnected(generation).catch(() => undefined);
    return generation;
  }

  return serialProducer({
    sendNow,
    abandon: () => {
      abandon();
      return Promise.resolve();
    },
    isConnected: () => generation.connected,
    reach: () =>
      ensureConnected(generation).then(
        () => true,
        () => false,
      ),
    disconnect: () => {
      // A connect still under way (the one started after a client was given up, with Kafka
      // away) goes on retrying after a disconnect: its sockets are cut off, now and as they open.
      if (generation.connecting) generation.cutOff();
      return generation.producer.disconnect();
    },
  });
}
