import { CommitlogError } from '@commitlog/core';
import { Cluster, type Redis } from 'ioredis';
import {
  dataNodes,
  nodeAddress,
  whenFirstConnected,
  type RedisConnection,
} from './redis-connection.ts';

/** What commitlog requires of the Redis that holds accepted commits, and what it found. */
export interface RedisSafety {
  /** False when Redis may drop accepted commits on its own (eviction): refuse to run. */
  safe: boolean;
  /** Why it is unsafe; empty when safe. */
  problems: string[];
  /**
   * On a cluster, where `problems` name the node of each: each problem once, without its node,
   * for a client's answer (which names no address). Absent for a single Redis.
   */
  unnamedProblems?: string[];
  /** Risks an operator should know about but that do not stop the service (no AOF, no maxmemory). */
  warnings: string[];
  maxmemoryPolicy: string | undefined;
  aofEnabled: boolean | undefined;
  redisVersion: string | undefined;
  /**
   * Replicas connected to the primary (`connected_slaves`); on a cluster, the fewest any primary
   * has, and `fewestReplicasNode` names that primary. Undefined when INFO does not say.
   */
  connectedReplicas: number | undefined;
  fewestReplicasNode?: string;
  /** True when the one thing wrong is that this Redis is a replica (a failover may be under way). */
  onlyAReplica?: boolean;
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

/** What a Redis must have beyond what commitlog always requires. */
export interface RedisSafetyRules {
  /** AOF on (REDIS_REQUIRE_AOF): its absence is a problem, not a warning. */
  requireAof?: boolean;
}

/** Settings INFO does not show, read with CONFIG GET where Redis allows it. */
export interface RedisConfigReading {
  /** `appendfsync`; undefined when CONFIG is refused (managed Redis often disables it). */
  appendfsync?: string | undefined;
}

/**
 * Judges an INFO reply, and what CONFIG GET could read (pure, so every rule is unit-tested).
 * `asCluster`: whether REDIS_URL names a Redis Cluster (`redis-cluster://`), so that a cluster
 * node reached as one Redis is told apart.
 */
export function judgeRedisInfo(
  info: string,
  rules: RedisSafetyRules = {},
  asCluster = false,
  config: RedisConfigReading = {},
): RedisSafety {
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
  // A replica refuses writes (READONLY), or, writable, loses them at its next resync: answering
  // PING and INFO, it would look ready while every commit is refused. A failover that left
  // REDIS_URL on the old primary, now a replica, is the usual way to get here.
  const role = fields.get('role');
  const replica = role !== undefined && role !== 'master';
  if (replica) {
    problems.push(
      `this Redis is a replica (role:${role}): it cannot keep commits; point REDIS_URL at the primary`,
    );
  }
  // A node of a Redis Cluster reached as one Redis answers PING and INFO, and then refuses every
  // store (its script holds a lane's keys and the lane count's, in other slots: CROSSSLOT) or
  // redirects it (MOVED) to a node this client will not follow.
  if (!asCluster && fields.get('cluster_enabled') === '1') {
    problems.push(
      'this Redis is a node of a Redis Cluster, reached as a single Redis: it would refuse or redirect every store; write REDIS_URL as redis-cluster://host:port,host:port (rediss-cluster:// with TLS)',
    );
  }
  // Script flags (`#!lua flags=allow-oom`): the delivered marks must be written on a Redis at
  // its maxmemory (delivered-marks.ts). An older Redis refuses those scripts outright.
  const version = fields.get('redis_version');
  const major = Number(version?.split('.')[0]);
  if (version !== undefined && !(major >= 7)) {
    problems.push(`Redis ${version} is older than 7.0, which commitlog's scripts need; upgrade it`);
  }
  if (aofEnabled === false) {
    const lost =
      'appendonly is off: commits accepted since the last save are lost if Redis restarts';
    if (rules.requireAof) problems.push(`${lost}; set appendonly yes (REDIS_REQUIRE_AOF is set)`);
    else warnings.push(lost);
  }
  warnings.push(...durabilityWarnings(fields, aofEnabled, rules, config));
  const replicas = Number(fields.get('connected_slaves'));
  return {
    safe: problems.length === 0,
    problems,
    warnings,
    maxmemoryPolicy,
    aofEnabled,
    redisVersion: version,
    connectedReplicas: Number.isInteger(replicas) ? replicas : undefined,
    ...(replica && problems.length === 1 ? { onlyAReplica: true } : {}),
  };
}

/**
 * Risks that stop nothing but that an operator must hear of at start-up. Warnings, not refusals:
 * the development Redis (`./commitlog up`) and the tests' run without maxmemory, and the README
 * documents `appendfsync everysec` as a trade-off (its persistence table) that REDIS_REQUIRE_AOF,
 * which requires AOF on, does not refuse.
 */
function durabilityWarnings(
  fields: Map<string, string>,
  aofEnabled: boolean | undefined,
  rules: RedisSafetyRules,
  config: RedisConfigReading,
): string[] {
  const warnings: string[] = [];
  // Without a maxmemory, Redis grows until the kernel's or a container's OOM killer stops it:
  // every role stalls, a container limit kills it again after each restart, and the ingest's
  // refusal at 95 % of maxmemory (which keeps room for the workers) never comes.
  if (fields.get('maxmemory') === '0') {
    warnings.push(
      "maxmemory is 0 (no limit): Redis grows until the OS or its container's memory limit kills it, every role stalls meanwhile, and the ingest's refusal past 95 % of maxmemory is off; set maxmemory below the memory Redis may use (README, Sizing)",
    );
  }
  const fsync = config.appendfsync;
  if (aofEnabled === true && fsync !== undefined && fsync !== 'always') {
    const lost =
      fsync === 'everysec'
        ? 'up to about 2 s of accepted commits on a host crash or power loss, and on a Redis crash when the disk is slow'
        : 'the accepted commits the OS had not yet written (on Linux, up to about 30 s) on a host crash or power loss';
    const required = rules.requireAof
      ? ' (REDIS_REQUIRE_AOF requires AOF on, not an fsync of every write)'
      : '';
    warnings.push(
      `appendfsync is ${fsync}, not always: Redis may lose ${lost}${required}; set appendfsync always`,
    );
  }
  return warnings;
}

/**
 * `appendfsync`, which INFO does not show. Undefined when Redis refuses CONFIG (disabled or renamed
 * on managed Redis, or an ACL without it): unknown, not a risk to warn of.
 */
async function readAppendfsync(client: Redis): Promise<string | undefined> {
  try {
    const reply: unknown = await client.config('GET', 'appendfsync');
    const value: unknown = Array.isArray(reply) ? reply[1] : undefined;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Asks one Redis how it is configured (INFO works where CONFIG is disabled, as on managed Redis). */
async function checkNode(
  client: Redis,
  rules: RedisSafetyRules,
  asCluster: boolean,
): Promise<RedisSafety> {
  const [memory, persistence, server, replication, cluster, appendfsync] = await Promise.all([
    client.info('memory'),
    client.info('persistence'),
    client.info('server'),
    client.info('replication'),
    client.info('cluster'),
    readAppendfsync(client),
  ]);
  return judgeRedisInfo(
    `${memory}\n${persistence}\n${server}\n${replication}\n${cluster}`,
    rules,
    asCluster,
    { appendfsync },
  );
}

/**
 * Asks Redis how it is configured; on a cluster, every primary (each holds some lanes, and one
 * evicting node loses the commits of its lanes), its problems and warnings named by node.
 */
export async function checkRedisSafety(
  client: RedisConnection,
  rules: RedisSafetyRules = {},
): Promise<RedisSafety> {
  const isReady = (): boolean => client.status === 'ready';
  if (client instanceof Cluster && !isReady()) {
    // Until it has read the slot table, a cluster client's nodes are those REDIS_URL names, each
    // taken for a primary: a replica among them was judged unsafe, and a primary the URL leaves
    // out was not judged at all.
    await whenFirstConnected(client, 5000);
    if (!isReady()) {
      throw new Error('the Redis Cluster is not ready: its slot table has not been read yet');
    }
  }
  const nodes = dataNodes(client);
  if (nodes.length === 0) throw new Error('no node of the Redis Cluster answers');
  const asCluster = client instanceof Cluster;
  if (nodes.length === 1 && nodes[0] === client) return checkNode(client, rules, asCluster);
  const readings = await Promise.all(
    nodes.map(async (node) => ({ node, safety: await checkNode(node, rules, asCluster) })),
  );
  const named = (node: Redis, texts: string[]): string[] =>
    texts.map((text) => `${nodeAddress(node)}: ${text}`);
  const safeties = readings.map((r) => r.safety);
  const first = safeties[0];
  return {
    safe: safeties.every((r) => r.safe),
    problems: readings.flatMap((r) => named(r.node, r.safety.problems)),
    unnamedProblems: [...new Set(safeties.flatMap((r) => r.problems))],
    warnings: readings.flatMap((r) => named(r.node, r.safety.warnings)),
    maxmemoryPolicy: safeties.every((r) => r.maxmemoryPolicy === first?.maxmemoryPolicy)
      ? first?.maxmemoryPolicy
      : 'mixed',
    aofEnabled: safeties.every((r) => r.aofEnabled === true)
      ? true
      : safeties.some((r) => r.aofEnabled === false)
        ? false
        : undefined,
    redisVersion: first?.redisVersion,
    ...fewestReplicas(readings),
  };
}

/** Which primary of a cluster has the fewest replicas connected, and how many. */
function fewestReplicas(
  readings: readonly { node: Redis; safety: RedisSafety }[],
): Pick<RedisSafety, 'connectedReplicas' | 'fewestReplicasNode'> {
  let fewest: { node: Redis; safety: RedisSafety } | undefined;
  for (const reading of readings) {
    const count = reading.safety.connectedReplicas;
    if (count === undefined) return { connectedReplicas: undefined };
    if (fewest === undefined || count < fewest.safety.connectedReplicas!) fewest = reading;
  }
  return fewest === undefined
    ? { connectedReplicas: undefined }
    : {
        connectedReplicas: fewest.safety.connectedReplicas,
        fewestReplicasNode: nodeAddress(fewest.node),
      };
}

/**
 * The Redis reached is a replica, and nothing else is wrong with it: at start-up, where a failover
 * behind REDIS_URL's name may not have finished, a reason to wait and connect again, not to exit.
 */
export class RedisIsAReplicaError extends CommitlogError {
  constructor(problems: readonly string[]) {
    super('REDIS_IS_A_REPLICA', problems.join('; '), { retriable: true });
  }
}

/** A Redis that may drop accepted commits on its own (eviction): commitlog refuses to use it. */
export class UnsafeRedisError extends CommitlogError {
  readonly problems: readonly string[];

  constructor(safety: Pick<RedisSafety, 'problems' | 'unnamedProblems'>) {
    const refusing = (problems: readonly string[]) =>
      `refusing to use this Redis, it may lose accepted commits: ${problems.join('; ')}`;
    super('UNSAFE_REDIS', refusing(safety.problems), {
      retriable: false,
      clientMessage: refusing(safety.unnamedProblems ?? safety.problems),
    });
    this.problems = safety.problems;
  }
}
