import { maskRedisUrl, type KafkaClientConfig } from '@commitlog/runtime';

/** What `up` has started, for the lines it prints once every role answers. */
export interface UpSummary {
  /** REDIS_URL as configured, or undefined for the local default (masked when printed). */
  redisUrl: string | undefined;
  /** The Kafka the worker delivers to, as the worker read it from the environment. */
  kafka: KafkaClientConfig;
  /** Where each role answers, and its log file; the ingest's probes and metrics too. */
  roles: Record<'worker' | 'dashboard', { address: string; log: string }> & {
    ingest: { address: string; opsAddress: string; log: string };
  };
  /** The dashboard's sign-in: `DASHBOARD_USERS` when set, else the local admin and its file. */
  dashboardUsers: { configured: true } | { configured: false; user: string; passwordFile: string };
  /** The signing secret: configured (never printed), or the local one made for this machine. */
  secret: { configured: true } | { configured: false; value: string; file: string };
}

/**
 * The lines `up` prints when it is ready: where everything is, what to try, and how to stop it.
 * The commands named work on a fresh clone, where only `./commitlog` puts pnpm on the PATH: the
 * infrastructure is stopped with `bash infra/down.sh`, not `pnpm infra:down`.
 */
export function readyLines(summary: UpSummary): string[] {
  const { roles, kafka } = summary;
  const brokers = kafka.brokers.join(',');
  const lines = [
    `redis      ${maskRedisUrl(summary.redisUrl ?? 'redis://127.0.0.1:6379')}`,
    `kafka      ${brokers}`,
    `ingest     ${roles.ingest.address}  (probes and metrics on ${roles.ingest.opsAddress}; log ${roles.ingest.log})`,
    `worker     ${roles.worker.address}/metrics  (log ${roles.worker.log})`,
    `dashboard  ${roles.dashboard.address}  (log ${roles.dashboard.log}; ` +
      (summary.dashboardUsers.configured
        ? 'users from DASHBOARD_USERS)'
        : `user ${summary.dashboardUsers.user}, password in ${summary.dashboardUsers.passwordFile})`),
    // A configured secret is never printed: only the local one made for this machine is.
    summary.secret.configured
      ? 'secret     from INGEST_SECRETS (not shown)'
      : `secret     ${summary.secret.value}  (sign requests with it; kept in ${summary.secret.file})`,
    'try        ./commitlog post examples/commit.json',
    // The brokers the worker delivers to, which need not be the local one.
    'then       bash infra/kafka/kafka.sh run org.apache.kafka.tools.consumer.ConsoleConsumer ' +
      `--bootstrap-server ${brokers} --topic riak.default.transactions --from-beginning ` +
      '--property print.key=true --property print.headers=true',
  ];
  if (kafka.ssl || kafka.sasl !== undefined) {
    // The console consumer speaks plain Kafka unless told otherwise; the secrets stay unprinted.
    lines.push(
      '           (these brokers use TLS or SASL: give the consumer their settings with ' +
        '--consumer.config FILE)',
    );
  }
  lines.push(
    'ready: press Ctrl-C to stop ingest, worker and dashboard (bash infra/down.sh stops Redis and Kafka)',
  );
  return lines;
}
