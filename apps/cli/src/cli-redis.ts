import { createRedisConnection, whenFirstConnected, type RedisConnection } from '@commitlog/queue';
import { maskRedisUrl, type CliConfig } from '@commitlog/runtime';
import { CliError } from './cli-error.ts';

/**
 * A fail-fast (`producer`) connection for a terminal command, checked with a PING: a Redis that
 * does not answer within about two seconds ends the command with one readable line, not a hang.
 * A `rediss://` address uses the configured CA and client certificate (REDIS_TLS_*). The caller
 * disconnects it.
 */
export async function connectCliRedis(
  config: Pick<CliConfig, 'redisUrl' | 'redisTlsCa' | 'redisTlsClient'>,
): Promise<RedisConnection> {
  const url = config.redisUrl;
  let connectionError: Error | undefined;
  const connection = createRedisConnection({
    url,
    role: 'producer',
    connectionName: 'commitlog-cli',
    tlsCa: config.redisTlsCa,
    tlsClient: config.redisTlsClient,
    // Kept for the message below: why the connection failed (refused, a certificate that does
    // not verify); the commands' own calls report their own failures.
    onError: (error) => (connectionError = error),
  });
  try {
    await whenFirstConnected(connection, 2000);
    await connection.ping();
    return connection;
  } catch (error) {
    // A Redis that answered but refused (a wrong password, say) has a reason worth showing; one
    // that never answered has the connection's own error (ioredis's offline-queue message, which
    // the PING got, says nothing more).
    const reason =
      connection.status === 'ready' && error instanceof Error ? error : connectionError;
    // On one line: OpenSSL's messages end with a newline of their own.
    const why = reason ? `: ${reason.message.replace(/\s+/g, ' ').trim()}` : '';
    connection.disconnect();
    throw new CliError('REDIS_UNREACHABLE', `cannot reach Redis at ${maskRedisUrl(url)}${why}`);
  }
}
