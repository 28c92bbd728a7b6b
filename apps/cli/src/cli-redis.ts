import { createRedisConnection, whenFirstConnected, type RedisConnection } from '@commitlog/queue';
import { maskRedisUrl } from '@commitlog/runtime';
import { CliError } from './cli-error.ts';

/**
 * A fail-fast (`producer`) connection for a terminal command, checked with a PING: a Redis that
 * does not answer within about two seconds ends the command with one readable line, not a hang.
 * The caller disconnects it.
 */
export async function connectCliRedis(url: string): Promise<RedisConnection> {
  const connection = createRedisConnection({
    url,
    role: 'producer',
    connectionName: 'commitlog-cli',
    // Failures surface through the PING below and the commands' own calls.
    onError: () => undefined,
  });
  try {
    await whenFirstConnected(connection, 2000);
    await connection.ping();
    return connection;
  } catch (error) {
    // A Redis that answered but refused (a wrong password, say) has a reason worth showing; one
    // that never answered only has ioredis's offline-queue message, which says nothing more.
    const why = connection.status === 'ready' && error instanceof Error ? `: ${error.message}` : '';
    connection.disconnect();
    throw new CliError('REDIS_UNREACHABLE', `cannot reach Redis at ${maskRedisUrl(url)}${why}`);
  }
}
