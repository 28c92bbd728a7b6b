import { lanesToCover, readLaneCount, type RedisConnection } from '@commitlog/queue';
import type { CliConfig } from '@commitlog/runtime';
import { CliError } from './cli-error.ts';

/**
 * Every lane a command must look through: those of the count recorded in Redis, and of this
 * shell's LANES if higher (a stale LANES must not hide a lane). Every ingest and worker records
 * LANES under its prefix as it starts: none recorded means none ever ran here, and "0 re-driven"
 * or "not found" would hide a mistyped QUEUE_PREFIX or database, so that is refused, naming them.
 */
export async function recordedLanes(
  redis: RedisConnection,
  config: Pick<CliConfig, 'queuePrefix' | 'lanes'>,
  command: string,
): Promise<number[]> {
  const recorded = await readLaneCount(redis, config.queuePrefix);
  if (recorded === undefined) {
    throw new CliError(
      'NOT_FOUND',
      `${command}: no commitlog lanes under QUEUE_PREFIX "${config.queuePrefix}" on this Redis (no ingest or worker ever ran with it): check QUEUE_PREFIX and the database in REDIS_URL`,
    );
  }
  return Array.from({ length: lanesToCover(recorded, config.lanes) }, (_, lane) => lane);
}
