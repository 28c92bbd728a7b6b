import {
  createRedisConnection,
  firstConnectionOrRefusal,
  isLastingRedisError,
  readRedisMemory,
  type RedisSafety,
  UnsafeRedisError,
} from '@commitlog/queue';
import { redisErrorLogger, type IngestConfig, type Logger } from '@commitlog/runtime';
import { watchRedisMemory } from './redis-memory-watch.ts';
import { watchRedisSafety } from './redis-safety-watch.ts';

/** How long the first connection to Redis may take at start-up before starting without it. */
const FIRST_CONNECT_MS = 2000;

/**
 * The ingest's Redis connection and its watches (settings, memory), with a first reading of its
 * settings. Refuses (UnsafeRedisError) a Redis that may evict accepted commits, and a refusal no
 * wait fixes; a Redis that does not answer leaves `reading` undefined: the ingest starts anyway
 * and answers 503 until the watch has read it.
 */
export async function connectIngestRedis(config: IngestConfig, logger: Logger) {
  const connection = createRedisConnection({
    url: config.redisUrl,
    role: 'producer',
    connectionName: 'commitlog-ingest',
    tlsCa: config.redisTlsCa,
    tlsClient: config.redisTlsClient,
    onError: redisErrorLogger(
      logger,
      'Redis connection error; commits are answered 503 while Redis is away',
    ),
  });
  const safety = watchRedisSafety(connection, logger, { requireAof: config.requireAof });
  const memory = watchRedisMemory(() => readRedisMemory(connection), logger);
  const disconnect = async (): Promise<void> => {
    safety.stop();
    memory.stop();
    await connection.quit().catch(() => connection.disconnect());
  };

  let reading: RedisSafety | undefined;
  try {
    await firstConnectionOrRefusal(connection, FIRST_CONNECT_MS);
    reading = await safety.check();
  } catch (err) {
    // A refusal no wait fixes (a wrong password, a user without INFO) stops the start-up, as
    // the worker's does: commits would be refused until someone changes Redis or REDIS_URL.
    if (isLastingRedisError(err)) {
      await disconnect();
      throw err;
    }
    logger.warn(
      { err },
      'cannot check Redis at start-up (is it down?); starting anyway: /readyz says not ready and commits are answered 503 until its settings are read',
    );
  }
  // Not fatal: the watch reads again every half second, and says so while it cannot.
  if (reading !== undefined) await memory.check().catch(() => undefined);
  if (reading !== undefined && !reading.safe) {
    await disconnect();
    throw new UnsafeRedisError(reading);
  }
  for (const warning of reading?.warnings ?? [])
    logger.warn({ redis: reading?.redisVersion }, warning);

  return { connection, safety, memory, disconnect, reading };
}
