import { CommitlogError } from '@commitlog/core';
import type { RedisConnection } from './redis-connection.ts';

/** What commitlog requires of the Redis that holds accepted commits, and what it found. */
export interface RedisSafety {
  /** False when Redis may drop accepted commits on its own (eviction): refuse to run. */
  safe: boolean;
  /** Why it is unsafe; empty when safe. */
  problems: string[];
  /** Risks an operator should know about but that do not stop the service (no AOF, say). */
  warnings: string[];
  maxmemoryPolicy: string | undefined;
  aofEnabled: boolean | undefined;
  redisVersion: string | undefined;
}

/** Reads `key:value` lines of an INFO reply. */
export function parseInfo(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Judges an INFO reply (pure, so every rule is unit-tested). */
export function judgeRedisInfo(info: string): RedisSafety {
  const fields = parseInfo(info);
  const maxmemoryPolicy = fields.get('maxmemory_policy');
  const aof = fields.get('aof_enabled');
  const aofEnabled = aof === undefined ? undefined : aof === '1';
  const problems: string[] = [];
  const warnings: string[] = [];
  if (maxmemoryPolicy !== 'noeviction') {
    problems.push(
      `maxmemory-policy is ${maxmemoryPolicy ?? 'unknown'}: Redis may evict accepted commits; set it to noeviction`,
    );
  }
  if (aofEnabled === false) {
    warnings.push(
      'appendonly is off: commits accepted since the last save are lost if Redis restarts',
    );
  }
  return {
    safe: problems.length === 0,
    problems,
    warnings,
    maxmemoryPolicy,
    aofEnabled,
    redisVersion: fields.get('redis_version'),
  };
}

/** Asks Redis how it is configured (INFO works where CONFIG is disabled, as on managed Redis). */
export async function checkRedisSafety(client: RedisConnection): Promise<RedisSafety> {
  const [memory, persistence, server] = await Promise.all([
    client.info('memory'),
    client.info('persistence'),
    client.info('server'),
  ]);
  return judgeRedisInfo(`${memory}\n${persistence}\n${server}`);
}

/** A Redis that may drop accepted commits on its own (eviction): commitlog refuses to use it. */
export class UnsafeRedisError extends CommitlogError {
  readonly problems: readonly string[];

  constructor(safety: Pick<RedisSafety, 'problems'>) {
    super(
      'UNSAFE_REDIS',
      `refusing to use this Redis, it may lose accepted commits: ${safety.problems.join('; ')}`,
      { retriable: false },
    );
    this.problems = safety.problems;
  }
}
