export {
  ConfigError,
  loadCliConfig,
  loadDashboardConfig,
  loadIngestConfig,
  loadWorkerConfig,
  MAX_COMMIT_BYTES_LIMIT,
  type CliConfig,
  type CommonConfig,
  type ConfigDeps,
  type ConfigProblem,
  type ConfigRole,
  type DashboardConfig,
  type Env,
  type IngestConfig,
  type KafkaClientConfig,
  type KafkaSaslConfig,
  type LogLevel,
  type ServingCertificate,
  type WorkerConfig,
} from './config.ts';
export {
  hashPassword,
  unmatchableHash,
  usersBelowHashCost,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
  WeakPasswordError,
  type DashboardRole,
  type DashboardUser,
} from './dashboard-users.ts';
export { describeConfig } from './describe-config.ts';
export { readBuildVersion, RELEASE_VERSION_PATTERN, UNKNOWN_VERSION } from './build-version.ts';
// The rules of two settings the CLI also takes (INGEST_SECRETS; durations such as --older-than).
export {
  duration as parseDurationSetting,
  secrets as parseSigningSecrets,
  type Parsed,
} from './env-values.ts';
export {
  CLIENT_TIMEOUTS,
  clientConnectionLimits,
  createGuardedServer,
  type ConnectionLimits,
  type DroppedConnection,
  type GuardedServerOptions,
} from './guarded-server.ts';
export {
  createGuardedTlsServer,
  GuardedTlsServer,
  MIN_TLS_VERSION,
  type TlsCredentials,
} from './guarded-tls-server.ts';
export { INGEST_TLS_PAIR, INGEST_TLS_VARIABLES } from './tls-config.ts';
export { readCaFile, readCertificatePair } from './tls-files.ts';
export { formatAge, formatTime, shorten } from './human-format.ts';
export { drainServer, ListenError, listenOn } from './http-server.ts';
export { createLogger, type Logger, type LoggerOptions } from './logger.ts';
export {
  ERROR_LOG_INTERVAL_MS,
  errorKind,
  redisErrorLogger,
  throttledWarn,
  type ThrottledWarn,
} from './throttled-log.ts';
export {
  Counter,
  clockOffsetGauge,
  createCounter,
  createGauge,
  createHistogram,
  createMetricsRegistry,
  Gauge,
  Histogram,
  METRIC_PREFIX,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type MetricOptions,
} from './metrics.ts';
export {
  errorBody,
  healthzBody,
  JSON_CONTENT_TYPE,
  metricsResult,
  notReadyOnceStopping,
  sharedReadiness,
  readyzResult,
  type ErrorBody,
  type Readiness,
  type ReadinessCheck,
  type ReadinessProbe,
} from './ops-handlers.ts';
export { startOpsServer, type OpsServer, type OpsServerOptions } from './ops-server.ts';
export { maskRedisUrl } from './redis-url.ts';
export {
  onShutdown,
  type ShutdownHandle,
  type ShutdownOptions,
  type ShutdownStep,
  type SignalSource,
} from './shutdown.ts';
export {
  ROLE_NODE_ARGS,
  roleHeapLimitBytes,
  roleNodeFlags,
  roleProcessEnv,
  type RoleName,
} from './role-process-env.ts';
export { runService, type ServiceOptions } from './run-service.ts';
export { withTimeout } from './with-timeout.ts';
export { closeEach } from './close-each.ts';
export { oneLine } from './one-line.ts';
export { workerSettingWarnings, type SettingWarning } from './worker-setting-warnings.ts';
