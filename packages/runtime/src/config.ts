/** Each role's configuration, read and checked from its environment (the variables and their rules: role-env.ts). */
import {
  dashboardCrossChecks,
  ingestCrossChecks,
  processHeapLimitBytes,
  workerCrossChecks,
} from './cross-checks.ts';
import { readIngestTls, readKafkaTls, readRedisTls } from './tls-config.ts';
import { readRoutesFile } from './routes-file.ts';
import type {
  CliConfig,
  CommonConfig,
  ConfigDeps,
  DashboardConfig,
  IngestConfig,
  WorkerConfig,
} from './config-types.ts';
import { complete, readEnv, type Env, type EnvValues } from './env-schema.ts';
import type { COMMON_ENV } from './role-env.ts';
import { CLI_ENV, DASHBOARD_ENV, INGEST_ENV, WORKER_ENV } from './role-env.ts';

export { ConfigError, type ConfigProblem } from './config-error.ts';
export type { Env } from './env-schema.ts';
export type {
  CliConfig,
  CommonConfig,
  ConfigDeps,
  ConfigRole,
  DashboardConfig,
  IngestConfig,
  KafkaClientConfig,
  KafkaSaslConfig,
  LogLevel,
  ServingCertificate,
  WorkerConfig,
} from './config-types.ts';
export { MAX_COMMIT_BYTES_LIMIT } from './role-env.ts';

function common(values: EnvValues<typeof COMMON_ENV>): CommonConfig {
  return {
    redisUrl: values.REDIS_URL,
    queuePrefix: values.QUEUE_PREFIX,
    lanes: values.LANES,
    logLevel: values.LOG_LEVEL,
    commitTtlMs: values.COMMIT_TTL,
    dedupWindowMs: values.DEDUP_WINDOW,
    failedRetentionMs: values.FAILED_RETENTION,
    requireAof: values.REDIS_REQUIRE_AOF,
  };
}

/** Reads and checks the ingest's configuration; throws a `ConfigError` naming every bad variable. */
export function loadIngestConfig(env: Env, deps: ConfigDeps = {}): IngestConfig {
  const { values, problems } = readEnv(INGEST_ENV, env);
  const redisTls = readRedisTls(values, deps, problems);
  const routes = readRoutesFile(values.ROUTES_FILE, deps, problems);
  const ingestTls = readIngestTls(values, deps, problems);
  problems.push(...ingestCrossChecks(values, deps.heapLimitBytes ?? processHeapLimitBytes()));
  const v = complete(values, problems);
  return {
    ...common(v),
    ...redisTls,
    ...ingestTls,
    host: v.INGEST_HOST,
    port: v.INGEST_PORT,
    opsPort: v.INGEST_OPS_PORT,
    secrets: v.INGEST_SECRETS,
    maxCommitBytes: v.MAX_COMMIT_BYTES,
    maxBatchBytes: v.MAX_BATCH_BYTES,
    maxLaneBacklog: v.MAX_LANE_BACKLOG,
    maxBytesInFlight: v.INGEST_MAX_BYTES_IN_FLIGHT,
    maxConnections: v.INGEST_MAX_CONNECTIONS,
    enqueueBatching: v.INGEST_ENQUEUE_BATCHING,
    waitReplicas: v.REDIS_WAIT_REPLICAS,
    waitReplicasTimeoutMs: v.REDIS_WAIT_TIMEOUT,
    replayWindowS: v.SIGNATURE_MAX_AGE,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT,
    routesFile: v.ROUTES_FILE,
    routes,
  };
}

/** Reads and checks the worker's configuration, and its routes file; throws a `ConfigError`. */
export function loadWorkerConfig(env: Env, deps: ConfigDeps = {}): WorkerConfig {
  const { values, problems } = readEnv(WORKER_ENV, env);
  const redisTls = readRedisTls(values, deps, problems);
  problems.push(...workerCrossChecks(values, env));
  const routes = readRoutesFile(values.ROUTES_FILE, deps, problems);
  const kafkaTls = readKafkaTls(values, deps, problems);
  const v = complete(values, problems);
  const sasl =
    v.KAFKA_SASL_MECHANISM !== undefined &&
    v.KAFKA_SASL_USERNAME !== undefined &&
    v.KAFKA_SASL_PASSWORD !== undefined
      ? {
          mechanism: v.KAFKA_SASL_MECHANISM,
          username: v.KAFKA_SASL_USERNAME,
          password: v.KAFKA_SASL_PASSWORD,
        }
      : undefined;
  return {
    ...common(v),
    ...redisTls,
    kafka: {
      brokers: v.KAFKA_BROKERS,
      clientId: v.KAFKA_CLIENT_ID,
      ssl: v.KAFKA_SSL,
      ...kafkaTls,
      ...(sasl === undefined ? {} : { sasl }),
    },
    kafkaClient: v.KAFKA_CLIENT,
    concurrency: v.WORKER_CONCURRENCY ?? v.LANES,
    retryBaseMs: v.RETRY_BASE,
    retryMaxMs: v.RETRY_MAX,
    batchMaxRecords: v.PRODUCE_BATCH_MAX,
    laneBatchMax: v.LANE_BATCH_MAX,
    lockDurationMs: v.WORKER_LOCK,
    host: v.WORKER_HOST,
    port: v.WORKER_PORT,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT,
    routesFile: v.ROUTES_FILE,
    routes,
  };
}

/** Reads and checks the dashboard's configuration; throws a `ConfigError` naming every bad variable. */
export function loadDashboardConfig(env: Env, deps: ConfigDeps = {}): DashboardConfig {
  const { values, problems } = readEnv(DASHBOARD_ENV, env);
  problems.push(...dashboardCrossChecks(values));
  const redisTls = readRedisTls(values, deps, problems);
  const v = complete(values, problems);
  return {
    ...common(v),
    ...redisTls,
    host: v.DASHBOARD_HOST,
    port: v.DASHBOARD_PORT,
    opsPort: v.DASHBOARD_OPS_PORT,
    users: v.DASHBOARD_USERS,
    sessionSecret: v.DASHBOARD_SESSION_SECRET,
    sessionTtlMs: v.DASHBOARD_SESSION_TTL,
    secureCookie: v.DASHBOARD_SECURE_COOKIE,
    trustProxy: v.DASHBOARD_TRUST_PROXY,
    showValues: v.DASHBOARD_SHOW_VALUES,
    maxConnections: v.DASHBOARD_MAX_CONNECTIONS,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT,
  };
}

/** Reads and checks what the command line needs; throws a `ConfigError` naming every bad variable. */
export function loadCliConfig(env: Env, deps: ConfigDeps = {}): CliConfig {
  const { values, problems } = readEnv(CLI_ENV, env);
  const redisTls = readRedisTls(values, deps, problems);
  return { ...common(complete(values, problems)), ...redisTls };
}
