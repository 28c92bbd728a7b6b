import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Kafka, logLevel, type ISocketFactory, type KafkaConfig, type LogEntry } from 'kafkajs';

/** Where the brokers are and how to reach them; everything else is a production default. */
export interface KafkaConnection {
  /** `host:port` of one or more brokers, e.g. `['127.0.0.1:9092']`. */
  brokers: string[];
  /** Client id reported to the brokers (shows up in their logs and quotas). Default `commitlog`. */
  clientId?: string;
  /** TLS to the brokers, verifying their certificates. Default off. */
  ssl?: boolean;
  /**
   * With `ssl`: the PEM certificates of the authorities that signed the brokers' certificates (a
   * private CA), trusted instead of Node's built-in list. Default: Node's built-in list.
   */
  sslCa?: string;
  /** With `ssl`: a client certificate (PEM) for brokers that ask for one (mutual TLS). */
  sslClient?: { cert: string; key: string };
  /** SASL credentials. Default none. */
  sasl?: KafkaSasl;
  /** Connection timeout in milliseconds. Default 3000. */
  connectionTimeoutMs?: number;
  /** How long one request may wait for Kafka's answer, in milliseconds. Default 10000. */
  requestTimeoutMs?: number;
  /** Where the Kafka client's own warnings and errors go; without one they are dropped. */
  log?: KafkaLogSink;
}

/** `requestTimeoutMs`'s default. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * The broker's wait for the replicas' acks (a produce request's `timeout`) for a client request
 * timeout: a quarter less, at most 1 s less, so that its answer has time to come back before the
 * client gives up. With the broker waiting longer than the client (kafkajs's default is 30 s
 * against our 3 s), a slow but healthy ISR made the client time each request out, tear its
 * connection down and send again, which the leader appended again.
 */
export function brokerTimeout(requestTimeoutMs: number): number {
  return Math.max(1, requestTimeoutMs - Math.min(1000, Math.floor(requestTimeoutMs / 4)));
}

type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** SASL credentials for one mechanism. */
export type KafkaSasl = {
  [M in SaslMechanism]: { mechanism: M; username: string; password: string };
}[SaslMechanism];

/** The slice of a pino logger this package writes to. */
export interface KafkaLogSink {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * Node's TLS options for a connection with `ssl`, shared by both clients: the brokers are always
 * verified (against `sslCa` when given), and a client certificate is presented when configured.
 */
export function tlsOptions(connection: KafkaConnection): {
  ca?: string;
  cert?: string;
  key?: string;
} {
  return {
    ...(connection.sslCa === undefined ? {} : { ca: connection.sslCa }),
    ...(connection.sslClient ?? {}),
  };
}

/**
 * kafkajs's own way of opening a broker connection (its default socket factory), plus a hook that
 * sees every socket: the producer keeps them to destroy when it abandons a send.
 */
function socketFactory(onSocket: (socket: Socket) => void): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    onSocket(socket);
    return socket;
  };
}

/**
 * The one place that turns a `KafkaConnection` into a kafkajs client. `onSocket` sees each socket
 * the client opens.
 */
export function createKafkaClient(
  connection: KafkaConnection,
  onSocket?: (socket: Socket) => void,
): Kafka {
  const sink = connection.log;
  const config: KafkaConfig = {
    clientId: connection.clientId ?? 'commitlog',
    brokers: connection.brokers,
    connectionTimeout: connection.connectionTimeoutMs ?? 3000,
    // Kafka's answer to one request; a blackholed broker must not hold the worker for long.
    requestTimeout: connection.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    // Few, quick retries inside the client: the worker's lanes own the long retries (with backoff
    // until a TTL), and one produce request in flight must not be pinned by a dead broker.
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: sink ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      if (!sink) return;
      // kafkajs log entries hold broker addresses and error text, never record contents.
      const { message, ...fields }: { message: string } & Record<string, unknown> = entry.log;
      // kafkajs repeats what pino already records.
      delete fields.timestamp;
      delete fields.logger;
      const at = { ...fields, component: 'kafkajs', namespace: entry.namespace };
      if (entry.level <= logLevel.ERROR) sink.error(at, message);
      else sink.warn(at, message);
    },
  };
  if (onSocket) config.socketFactory = socketFactory(onSocket);
  if (connection.ssl) config.ssl = tlsOptions(connection);
  // A copy: kafkajs stores its authenticator on the object it is given, bound to the credentials
  // of the first login, and a later copy of that object (another password, say) would carry it
  // along and log in with the old credentials.
  if (connection.sasl) config.sasl = { ...connection.sasl };
  return new Kafka(config);
}
