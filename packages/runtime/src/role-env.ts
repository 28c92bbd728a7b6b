/**
 * What each role reads from its environment: every variable, its rule and its default, as zod
 * schemas (config.ts turns what they read into each role's configuration). One place to look
 * for a variable's rule; the README's Configuration table follows it.
 */
import { z } from 'zod';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, RECORD_FRAMING_BYTES } from '@commitlog/core';
import { DASHBOARD_USERS_RULE, dashboardUsers } from './dashboard-users.ts';
import type { LogLevel } from './config-types.ts';
import {
  noLibraryDebugOutput,
  noTlsVerificationOff,
  optional,
  required,
  withDefault,
} from './env-schema.ts';
import {
  boolean,
  trustProxy,
  brokers,
  duration,
  durationAtLeast,
  durationAtMost,
  durationWithin,
  timerDuration,
  integer,
  listenHost,
  longSecret,
  matching,
  oneOf,
  port,
  redisUrl,
  secrets,
  SECRETS_RULE,
  text,
  wholeSeconds,
} from './env-values.ts';

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/**
 * Kafka's default `max.message.bytes` less the batch's framing, which a commit's size
 * (`commitSize`: key, value and headers) leaves out: a commit within the limit is never refused
 * by the topic after it was accepted.
 */
export const MAX_COMMIT_BYTES_LIMIT = KAFKA_DEFAULT_MAX_MESSAGE_BYTES - RECORD_FRAMING_BYTES;

/**
 * The longest SIGNATURE_MAX_AGE an ingest takes, seconds. The window is either side of the
 * ingest's clock (a hook's clock may be fast or slow), so a request signed that far ahead stays
 * valid for twice this after it was accepted: twice this is DEDUP_WINDOW's floor (1h).
 */
const SIGNATURE_MAX_AGE_LIMIT_S = 1800;

export const COMMON_ENV = {
  REDIS_URL: withDefault(redisUrl, 'redis://127.0.0.1:6379'),
  QUEUE_PREFIX: withDefault(
    matching(/^[a-zA-Z0-9:_-]+$/, 'letters, digits, ":", "_" or "-"'),
    'commitlog',
  ),
  LANES: withDefault(integer(1, 4096), '16'),
  LOG_LEVEL: withDefault(oneOf(LOG_LEVELS), 'info'),
  COMMIT_TTL: withDefault(duration, '24h'),
  // A signed request can be sent again, as it is, for as long as its signature's time stays
  // within SIGNATURE_MAX_AGE of the ingest's clock: up to twice that after it was accepted, when it
  // was signed ahead. A replay the signature still admits must find the commit's mark and answer
  // as a duplicate, not deliver it again, whatever SIGNATURE_MAX_AGE the ingests run with.
  DEDUP_WINDOW: withDefault(
    durationAtLeast(
      2 * SIGNATURE_MAX_AGE_LIMIT_S * 1000,
      '1h',
      'a signed request stays valid for up to twice SIGNATURE_MAX_AGE (at most 30m) and its replay must be answered as a duplicate',
    ),
    '24h',
  ),
  FAILED_RETENTION: withDefault(
    durationAtLeast(
      86_400_000,
      '1d',
      'a failed delivery holds a commit Kafka never got, removed for good past it (14m typed for 14d would delete them within the hour)',
    ),
    '14d',
  ),
  REDIS_REQUIRE_AOF: withDefault(boolean, 'false'),
  REDIS_TLS_CA_FILE: optional(text),
  REDIS_TLS_CERT_FILE: optional(text),
  REDIS_TLS_KEY_FILE: optional(text),
  DEBUG: noLibraryDebugOutput,
  NODE_TLS_REJECT_UNAUTHORIZED: noTlsVerificationOff,
};

const SHUTDOWN_TIMEOUT = withDefault(timerDuration(), '10s');

export const INGEST_ENV = z.object({
  ...COMMON_ENV,
  INGEST_HOST: withDefault(listenHost, '127.0.0.1'),
  INGEST_PORT: withDefault(port, '8080'),
  INGEST_OPS_PORT: withDefault(port, '8084'),
  INGEST_SECRETS: required(
    secrets,
    `${SECRETS_RULE}, shared with the Riak hook (e.g. \`openssl rand -hex 32\`)`,
  ),
  MAX_COMMIT_BYTES: withDefault(
    integer(
      1,
      MAX_COMMIT_BYTES_LIMIT,
      "Kafka's default max.message.bytes is 1048588, less 200 bytes for the record batch's framing",
    ),
    '1000000',
  ),
  MAX_BATCH_BYTES: withDefault(integer(1), String(16 * 1024 * 1024)),
  MAX_LANE_BACKLOG: withDefault(integer(1), '100000'),
  INGEST_MAX_BYTES_IN_FLIGHT: withDefault(integer(1), String(64 * 1024 * 1024)),
  INGEST_MAX_CONNECTIONS: withDefault(integer(1), '1000'),
  INGEST_ENQUEUE_BATCHING: withDefault(boolean, 'true'),
  REDIS_WAIT_REPLICAS: withDefault(integer(0, 100), '0'),
  // Above zero, as every duration: Redis takes a WAIT of 0 as waiting for ever.
  REDIS_WAIT_TIMEOUT: withDefault(
    durationAtMost(
      4000,
      '4s',
      "the ingest's Redis commands time out after 5 s, a WAIT among them, and a WAIT holds the connection every store shares",
    ),
    '1s',
  ),
  SIGNATURE_MAX_AGE: withDefault(wholeSeconds(1, SIGNATURE_MAX_AGE_LIMIT_S), '300'),
  SHUTDOWN_TIMEOUT,
  ROUTES_FILE: optional(text),
  INGEST_TLS_CERT_FILE: optional(text),
  INGEST_TLS_KEY_FILE: optional(text),
});

export const WORKER_ENV = z.object({
  ...COMMON_ENV,
  KAFKA_BROKERS: withDefault(brokers, '127.0.0.1:9092'),
  KAFKA_CLIENT_ID: withDefault(text, 'commitlog-worker'),
  KAFKA_CLIENT: withDefault(oneOf(['kafkajs', 'platformatic'] as const), 'platformatic'),
  KAFKA_SSL: withDefault(boolean, 'false'),
  KAFKA_SSL_CA_FILE: optional(text),
  KAFKA_SSL_CERT_FILE: optional(text),
  KAFKA_SSL_KEY_FILE: optional(text),
  KAFKA_SASL_MECHANISM: optional(oneOf(['plain', 'scram-sha-256', 'scram-sha-512'])),
  KAFKA_SASL_USERNAME: optional(text),
  KAFKA_SASL_PASSWORD: optional(text, { keepWhitespace: true }),
  KAFKA_SASL_PLAIN_WITHOUT_TLS: withDefault(boolean, 'false'),
  WORKER_CONCURRENCY: optional(integer(1)),
  RETRY_BASE: withDefault(duration, '200ms'),
  RETRY_MAX: withDefault(duration, '60s'),
  PRODUCE_BATCH_MAX: withDefault(integer(1), '500'),
  LANE_BATCH_MAX: withDefault(integer(1, 10_000), '100'),
  WORKER_LOCK: withDefault(
    timerDuration(
      durationAtLeast(
        3000,
        '3s',
        'a delivery may use four fifths of it and one produce request may take a second',
      ),
    ),
    '30s',
  ),
  WORKER_HOST: withDefault(listenHost, '127.0.0.1'),
  WORKER_PORT: withDefault(port, '8082'),
  // Longer than the ingest's: a delivery in hand may wait on Kafka until four fifths of
  // WORKER_LOCK (24 s by default), then the producer's close and a lane's hold take a few more.
  // A stop cut shorter leaves its jobs to come back after WORKER_LOCK, counted as stalls.
  SHUTDOWN_TIMEOUT: withDefault(timerDuration(), '45s'),
  ROUTES_FILE: optional(text),
});

export const DASHBOARD_ENV = z.object({
  ...COMMON_ENV,
  DASHBOARD_HOST: withDefault(listenHost, '127.0.0.1'),
  DASHBOARD_PORT: withDefault(port, '8081'),
  DASHBOARD_OPS_PORT: withDefault(port, '8083'),
  DASHBOARD_USERS: required(
    dashboardUsers,
    `${DASHBOARD_USERS_RULE}; the dashboard has no anonymous access (hash a password with \`commitlog dashboard hash-password\`)`,
  ),
  DASHBOARD_SESSION_SECRET: optional(longSecret, { keepWhitespace: true }),
  DASHBOARD_SESSION_TTL: withDefault(
    durationWithin(
      { ms: 60_000, text: '1m' },
      { ms: 30 * 86_400_000, text: '30d' },
      'a sign-in lasts that long: shorter, it ends before a page loads; longer, a stolen cookie serves for months',
    ),
    '8h',
  ),
  DASHBOARD_SECURE_COOKIE: withDefault(boolean, 'false'),
  DASHBOARD_TRUST_PROXY: optional(trustProxy),
  DASHBOARD_SHOW_VALUES: withDefault(boolean, 'false'),
  DASHBOARD_MAX_CONNECTIONS: withDefault(integer(1), '256'),
  SHUTDOWN_TIMEOUT,
});

export const CLI_ENV = z.object(COMMON_ENV);
