import type { RouteRule } from '@commitlog/core';
import type { DashboardUser } from './dashboard-users.ts';
import type { ClientCertificate } from './tls-files.ts';
/**
 * The shape of a loaded configuration, role by role. Each field names the environment variable it
 * comes from, its unit and its default; `config.ts` reads and checks them.
 */

/** The processes that load a configuration, each with its own schema. */
export type ConfigRole = 'ingest' | 'worker' | 'dashboard' | 'cli';

/** pino's levels; `silent` logs nothing. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** What every role reads. */
export interface CommonConfig {
  /** `REDIS_URL`: where the queues live; `redis://` or `rediss://` (TLS). Default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /**
   * The certificates of `REDIS_TLS_CA_FILE` (PEM), checked at start-up: the CA(s) that signed a TLS
   * Redis's certificate (a private CA), trusted instead of Node's built-in list. Default none.
   */
  redisTlsCa?: string;
  /** `REDIS_TLS_CA_FILE`: where `redisTlsCa` was read from. */
  redisTlsCaFile?: string;
  /**
   * `REDIS_TLS_CERT_FILE` and `REDIS_TLS_KEY_FILE` (both or neither): a client certificate for a
   * Redis that asks for one (mutual TLS), checked at start-up. Default none.
   */
  redisTlsClient?: ClientCertificate;
  /** `QUEUE_PREFIX`: prefix of every queue key in Redis, `[a-zA-Z0-9:_-]+`. Default `commitlog`. */
  queuePrefix: string;
  /** `LANES`: number of lane queues, 1 to 4096; changing it needs a drain. Default 16. */
  lanes: number;
  /** `LOG_LEVEL`: minimum log level. Default `info`. */
  logLevel: LogLevel;
  /** `COMMIT_TTL`, ms: how long a commit is retried, counted from acceptance. Default 24 h. */
  commitTtlMs: number;
  /** `DEDUP_WINDOW`, ms: how long a delivered commit's mark is kept so a retried commit is recognised. Default 24 h. */
  dedupWindowMs: number;
  /** `FAILED_RETENTION`, ms: how long failed deliveries are kept for re-driving. Default 14 d. */
  failedRetentionMs: number;
  /**
   * `REDIS_REQUIRE_AOF`: refuse a Redis whose AOF is off, as one that may evict (start-up and
   * `/readyz`), rather than warn at start-up. Default false (development Redis often runs without
   * persistence); production sets it.
   */
  requireAof: boolean;
}

/** The HTTP ingest. */
export interface IngestConfig extends CommonConfig {
  /** `INGEST_HOST`: address to listen on. Default `127.0.0.1`. */
  host: string;
  /** `INGEST_PORT`. Default 8080. */
  port: number;
  /**
   * `INGEST_OPS_PORT`: port of the ops server (/healthz, /readyz, /metrics), on `INGEST_HOST`,
   * outside `INGEST_MAX_CONNECTIONS`. Default 8084. `INGEST_PORT` answers them too.
   */
  opsPort: number;
  /**
   * `INGEST_SECRETS` (required): HMAC signing secrets shared with the Riak hook, 1 or 2 (during a
   * rotation), at least 32 characters each. Never log them: use `describeConfig`.
   */
  secrets: string[];
  /**
   * `MAX_COMMIT_BYTES`: largest commit accepted, as its Kafka record (key, value and every
   * header); at most 1,048,388 (Kafka's default `max.message.bytes` less the record's framing).
   * Default 1,000,000.
   */
  maxCommitBytes: number;
  /**
   * `MAX_BATCH_BYTES`: HTTP body limit of `POST /v1/commits/batch`, bytes; at least the body of
   * one commit of `MAX_COMMIT_BYTES` (`singleCommitBodyLimit`). Default 16 MiB.
   */
  maxBatchBytes: number;
  /** `MAX_LANE_BACKLOG`: waiting commits in one lane before the ingest answers 503. Default 100,000. */
  maxLaneBacklog: number;
  /**
   * `INGEST_MAX_BYTES_IN_FLIGHT`: request body bytes held at once (as declared, up to each
   * endpoint's limit) before the ingest answers 503; at least `MAX_BATCH_BYTES`. Default 64 MiB.
   */
  maxBytesInFlight: number;
  /**
   * `INGEST_MAX_CONNECTIONS`: client connections held open at once; a connection past it is closed
   * as it is accepted. Keeps a flood of connections from taking every file descriptor (then no
   * Redis reconnect or log write could happen). Default 1000.
   */
  maxConnections: number;
  /**
   * `INGEST_ENQUEUE_BATCHING`: store the commits of one event-loop turn together (one script per
   * lane), `true` or `false`. Default true; false only to measure what it buys.
   */
  enqueueBatching: boolean;
  /**
   * `REDIS_WAIT_REPLICAS`: replicas of the Redis (of each lane's primary on a cluster) that must
   * hold a commit before it is answered 202 (Redis `WAIT`); 0 asks none. Default 0.
   */
  waitReplicas: number;
  /** `REDIS_WAIT_TIMEOUT`, ms: the longest a store waits for those replicas, then 503. Default 1 s. */
  waitReplicasTimeoutMs: number;
  /** `SIGNATURE_MAX_AGE`, seconds: how far a signature's `t` may be from the clock. Default 300. */
  replayWindowS: number;
  /** `SHUTDOWN_TIMEOUT`, ms: how long a graceful stop may take before exiting anyway. Default 10 s. */
  shutdownTimeoutMs: number;
  /** `ROUTES_FILE`: path of the routing rules file, if any (the record size depends on the route). */
  routesFile: string | undefined;
  /** The routing rules of `ROUTES_FILE`, checked; none without a file. */
  routes: RouteRule[];
  /**
   * `INGEST_TLS_CERT_FILE` and `INGEST_TLS_KEY_FILE` (both or neither), checked at start-up: with
   * them `INGEST_PORT` serves HTTPS only (TLS 1.2 or later), and the ingest re-reads the files
   * while it runs to take a renewed certificate. Default none: plain HTTP. The ops port stays
   * plain HTTP either way.
   */
  tls?: ServingCertificate;
}

/** A server's certificate and key, as PEM text, and the files they are re-read from. */
export interface ServingCertificate extends ClientCertificate {
  /** `INGEST_TLS_CERT_FILE`: the certificate, then any intermediate certificates. */
  certFile: string;
  /** `INGEST_TLS_KEY_FILE`: its unencrypted private key. */
  keyFile: string;
}

/** SASL credentials for the Kafka brokers. */
export interface KafkaSaslConfig {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

/** How the worker reaches Kafka. */
export interface KafkaClientConfig {
  /** `KAFKA_BROKERS`: comma-separated `host:port`. Default `127.0.0.1:9092`. */
  brokers: string[];
  /** `KAFKA_CLIENT_ID`. Default `commitlog-worker`. */
  clientId: string;
  /** `KAFKA_SSL`: TLS to the brokers, `true` or `false`, verifying their certificates. Default false. */
  ssl: boolean;
  /**
   * The certificates of `KAFKA_SSL_CA_FILE` (PEM), checked at start-up: the authorities that signed
   * the brokers' certificates (a private CA), trusted instead of Node's built-in list. Default
   * none: Node's built-in list.
   */
  sslCa?: string;
  /** `KAFKA_SSL_CA_FILE`: where `sslCa` was read from. */
  sslCaFile?: string;
  /**
   * `KAFKA_SSL_CERT_FILE` and `KAFKA_SSL_KEY_FILE` (both or neither): a client certificate for
   * brokers that ask for one (mutual TLS, `ssl.client.auth=required`), checked at start-up.
   */
  sslClient?: ClientCertificate;
  /** `KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD`: all three or none. */
  sasl?: KafkaSaslConfig;
}

/** The delivery worker. */
export interface WorkerConfig extends CommonConfig {
  kafka: KafkaClientConfig;
  /**
   * `KAFKA_CLIENT`: which implementation of the producer, `platformatic` (@platformatic/kafka) or
   * `kafkajs` (same contract and tests). Default `platformatic`: faster in the benchmark, and it
   * passed the same fault matrix (README, Performance).
   */
  kafkaClient: 'kafkajs' | 'platformatic';
  /** `WORKER_CONCURRENCY`: lanes this worker delivers at once, 1 to `LANES`. Default all lanes. */
  concurrency: number;
  /** `RETRY_BASE`, ms: first backoff of a failing delivery. Default 200 ms. */
  retryBaseMs: number;
  /** `RETRY_MAX`, ms: cap of the backoff, at least `RETRY_BASE`. Default 60 s. */
  retryMaxMs: number;
  /** `PRODUCE_BATCH_MAX`: records gathered into one produce request. Default 500. */
  batchMaxRecords: number;
  /**
   * `LANE_BATCH_MAX`: most commits of one lane delivered in one produce request, the lane's
   * active job and the jobs waiting right behind it (`1`: one at a time). Default 100.
   */
  laneBatchMax: number;
  /** `WORKER_LOCK`, ms: BullMQ lock; a killed worker's job is picked up after about this long. Default 30 s. */
  lockDurationMs: number;
  /** `WORKER_HOST`: address of the ops server (/healthz, /readyz, /metrics). Default `127.0.0.1`. */
  host: string;
  /** `WORKER_PORT`: port of the ops server. Default 8082. */
  port: number;
  /** `SHUTDOWN_TIMEOUT`, ms. Default 45 s (a delivery in hand may take 0.8 × WORKER_LOCK). */
  shutdownTimeoutMs: number;
  /** `ROUTES_FILE`: path of the routing rules file, if any. */
  routesFile: string | undefined;
  /** The routing rules of `ROUTES_FILE`, checked; none without a file. */
  routes: RouteRule[];
}

/** The dashboard. */
export interface DashboardConfig extends CommonConfig {
  /** `DASHBOARD_HOST`. Default `127.0.0.1`. */
  host: string;
  /** `DASHBOARD_PORT`. Default 8081. */
  port: number;
  /** `DASHBOARD_OPS_PORT`: port of the ops server (/readyz, /metrics), on `DASHBOARD_HOST`. Default 8083. */
  opsPort: number;
  /**
   * `DASHBOARD_USERS` (required): `name:role:hash` entries, comma-separated; the hashes come from
   * `commitlog dashboard hash-password`. No anonymous access.
   */
  users: DashboardUser[];
  /**
   * `DASHBOARD_SESSION_SECRET`: signs the session cookies, at least 32 characters. Unset, each
   * process draws its own: sessions then end at a restart and do not span replicas.
   */
  sessionSecret: string | undefined;
  /** `DASHBOARD_SESSION_TTL`, ms: how long a sign-in lasts. Default 8 h. */
  sessionTtlMs: number;
  /** `DASHBOARD_SECURE_COOKIE`: mark the session cookie `Secure` (behind TLS). Default false. */
  secureCookie: boolean;
  /**
   * `DASHBOARD_TRUST_PROXY`: the proxies trusted to name the client in `X-Forwarded-For` (hops,
   * or addresses and ranges). Unset, the client is the connection's peer: behind a proxy that is
   * the proxy, for every user, and the sign-in throttle would then block everyone at once.
   */
  trustProxy: number | string[] | undefined;
  /** `DASHBOARD_SHOW_VALUES`: show commit values in Bull Board's job views. Default false (payment data). */
  showValues: boolean;
  /**
   * `DASHBOARD_MAX_CONNECTIONS`: client connections `DASHBOARD_PORT` holds open at once; a
   * connection past it is closed as it is accepted. Keeps a flood of connections from taking
   * every file descriptor (then no Redis reconnect, no probe on `DASHBOARD_OPS_PORT`). Default 256.
   */
  maxConnections: number;
  /** `SHUTDOWN_TIMEOUT`, ms. Default 10 s. */
  shutdownTimeoutMs: number;
}

/** The command line (`requeue`, `redrive`, `status`). */
export type CliConfig = CommonConfig;

/** What the loaders read besides the environment; tests pass fakes. */
export interface ConfigDeps {
  /** Reads a UTF-8 text file. Default `fs.readFileSync(path, 'utf8')`. */
  readFile?: (path: string) => string;
  /** The heap limit of the process the role runs in, bytes. Default this process's (V8's). */
  heapLimitBytes?: number;
}
