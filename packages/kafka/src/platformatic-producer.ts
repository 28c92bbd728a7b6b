import type { KafkaRecord } from '@commitlog/core';
import { Producer, type MessageToProduce, type ProducerOptions } from '@platformatic/kafka';
import type { Socket } from 'node:net';
import {
  brokerTimeout,
  DEFAULT_REQUEST_TIMEOUT_MS,
  tlsOptions,
  type KafkaConnection,
} from './kafka-connection.ts';
import { toKafkaProduceError } from './kafka-errors.ts';
import type { TopicStanding } from './missing-topic.ts';
import { collisionCheck, explainTopicRefusal } from './topic-collision.ts';
import { createWriteHistory } from './write-refusal.ts';
import { listTopicsOnce } from './kafka-admin.ts';
import { javaKeyPartitioner } from './murmur2.ts';
import { apiIdOf, failureMessage } from './platformatic-errors.ts';
import { isBeingReset, resetSocket } from './socket-reset.ts';
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
 * Asks about a topic without creating it (see `distinguishMissingTopic`). @platformatic/kafka
 * 2.12.1 reports a topic the broker does not know as a UserError "Unknown topic <name>.", which
 * `apiIdOf` reads as the protocol error it stands for.
 */
async function topicStanding(producer: Producer, topic: string): Promise<TopicStanding> {
  try {
    await producer.metadata({ topics: [topic], autocreateTopics: false });
    return 'exists';
  } catch (error) {
    const apiId = apiIdOf(error);
    if (apiId === 'TOPIC_AUTHORIZATION_FAILED') return 'forbidden';
    return apiId === 'UNKNOWN_TOPIC_OR_PARTITION' ? 'missing' : 'unknown';
  }
}

/**
 * Makes the client's destroying of this socket a reset. @platformatic/kafka 2.12.1 destroys the
 * socket of a request that timed out (`Connection#onRequestTimeout`) and sends the request again
 * on a new connection, with no event in between that could reset it first, so the socket's own
 * `destroy` is wrapped. Checked against @platformatic/kafka 2.12.1 and Node 24.21.0. Destroyed as
 * before: a socket ended first (a graceful close: the producer's own at shutdown, with nothing
 * unacknowledged), and a destroy with an error, which keeps its 'error' event (Node's own on a
 * connection already broken: reset by the broker, timed out by the kernel).
 */
function resetWhenDestroyed(socket: Socket): void {
  const destroy = socket.destroy.bind(socket);
  socket.destroy = (error?: Error) => {
    if (error !== undefined || isBeingReset(socket) || socket.destroyed || socket.writableEnded) {
      return destroy(error);
    }
    resetSocket(socket);
    return socket;
  };
}

/**
 * The client's options: the contract `createPlatformaticProducer`'s doc states (acks=all, not
 * idempotent, the Java client's partitioner, topics created on first use), kept apart so that a
 * test holds the producer to it.
 */
export function platformaticProducerOptions(
  connection: KafkaConnection,
): ProducerOptions<Buffer, Buffer, Buffer, Buffer> {
  const requestTimeout = connection.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return {
    clientId: connection.clientId ?? 'commitlog',
    bootstrapBrokers: connection.brokers,
    connectTimeout: connection.connectionTimeoutMs ?? 3000,
    requestTimeout,
    // How long the broker waits for the in-sync replicas (acks=all) before it answers
    // REQUEST_TIMED_OUT (retriable). This client's default, 5 s, is longer than the worker's
    // request timeout (a tenth of the lock: 3 s by default), so a slow but healthy ISR made the
    // client time the request out, tear its connection down and send again; below it, the
    // broker answers first and the connection lives on.
    timeout: brokerTimeout(requestTimeout),
    // Few, quick retries inside the client: the worker's lanes own the long retries.
    retries: 3,
    retryDelay: 100,
    idempotent: false,
    acks: -1,
    // The Java client's partition (as compatibilityPartitioner), by a murmur2 in linear time.
    partitioner: javaKeyPartitioner,
    // As kafkajs and the Java producer do: a new bucket's topic is created on its first record
    // where the broker allows it (auto.create.topics.enable); where it does not, the send fails
    // as retriable and the lane retries until someone creates the topic.
    autocreateTopics: true,
    // With the broker's name (SNI), which this client sends only when asked and kafkajs always
    // sends: proxies and cloud routers pick the broker, or its certificate, by it. Always, as
    // kafkajs: each connection names the host it dials, and the brokers the cluster advertises
    // may be names behind such a router though the bootstrap list gives an address (which was
    // reason enough to send none). An address sent as a name is ignored by brokers; Node warns
    // once (RFC 6066 wants names only).
    ...(connection.ssl ? { tls: tlsOptions(connection), tlsServerName: true } : {}),
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
  };
}

/**
 * The @platformatic/kafka implementation of `RecordProducer`, the same contract as kafkajs's:
 * acks=all (this client's default is the leader alone, so it is set on every send), one produce
 * request in flight (sends are queued here), not idempotent, and the Java client's partitioner
 * (`javaKeyPartitioner`, what the client's `compatibilityPartitioner` gives, in linear time; the
 * client's default masks murmur2 differently, which would put a key on another partition than
 * kafkajs and Java do, and break per-key order across a switch),
 * and topics created on first use where the broker allows it (this client's default is not to).
 * A connection that timed out, or that an abandoned send went out on, is reset (socket-reset.ts).
 */
export async function createPlatformaticProducer(
  connection: KafkaConnection,
): Promise<RecordProducer> {
  const newProducer = (): Producer => new Producer(platformaticProducerOptions(connection));
  const collisions = collisionCheck(() => listTopicsOnce(connection));
  /**
   * A producer on a connection pool of its own, which can be cut off: its connections are reset
   * then, and any it opens later as they open.
   */
  interface Generation {
    producer: Producer;
    cutOff(): void;
  }
  const newGeneration = (): Generation => {
    const made = newProducer();
    let cut = false;
    made.on('client:broker:connect', ({ connection: opened }) => {
      if (cut) resetSocket(opened.socket);
      else resetWhenDestroyed(opened.socket);
    });
    return {
      producer: made,
      cutOff() {
        cut = true;
        for (const [, open] of made.connections) {
          if (open.socket) resetSocket(open.socket);
        }
      },
    };
  };
  let generation = newGeneration();
  let producer = generation.producer;
  let connected = false;
  /** What the producer wrote, and when (explainTopicRefusal). */
  const writes = createWriteHistory();
  /**
   * Asks a broker for metadata on generation `g`'s client, which makes its connection: readiness
   * then shows Kafka as soon as a broker answers, not only at the next send. Not fatal: while
   * Kafka is down the sends fail as retriable errors until it is back.
   */
  async function connect(g: Generation): Promise<void> {
    try {
      await g.producer.metadata({ topics: [] });
      if (g === generation) connected = true;
    } catch {
      // The next send tries again and reports the error to its caller.
    }
  }
  await connect(generation);
  async function sendNow(records: readonly KafkaRecord[]): Promise<void> {
    const sending = producer;
    const topics = new Set(records.map((r) => r.topic));
    try {
      await sending.send({ messages: records.map(toMessage), acks: -1 });
      writes.wrote(topics, Date.now());
      if (sending === producer) connected = true;
    } catch (error) {
      const wrapped = toKafkaProduceError(error, {
        type: apiIdOf(error),
        message: failureMessage(error),
      });
      // The broker's own answer (a record too large, a topic refused) says the connection is up:
      // readiness shows Kafka down only when no broker answered. A client given up meanwhile
      // speaks for itself only.
      if (sending === producer) connected = wrapped.fromBroker;
      throw await explainTopicRefusal(wrapped, topics, {
        standing: (topic) => topicStanding(sending, topic),
        collisions,
        writes,
      });
    }
  }

  async function abandon(): Promise<void> {
    const old = generation;
    generation = newGeneration();
    producer = generation.producer;
    connected = false;
    // Reset first: a close would end the sockets gracefully, leaving their unacknowledged bytes
    // to the kernel (and, with the broker out of reach, wait for them to drain).
    old.cutOff();
    // Connected now, not at the next send: readiness would otherwise show Kafka down while the
    // worker is idle after a refusal that a broker answered (a record too large, say).
    void connect(generation);
    // Forced: a closing client fails its pending requests and cancels its retry timers.
    await old.producer.close(true).catch(() => undefined);
  }

  return serialProducer({
    sendNow,
    abandon,
    isConnected: () => connected,
    async reach() {
      if (!connected) await connect(generation);
      return connected;
    },
    disconnect: () => producer.close(),
  });
}
