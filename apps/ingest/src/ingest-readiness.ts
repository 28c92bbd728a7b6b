import type { RedisSafety } from '@commitlog/queue';
import { withTimeout, type Readiness, type ReadinessProbe } from '@commitlog/runtime';

/** How long `/readyz` waits for Redis before calling it not ready, ms. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * `/readyz` of the ingest: ready when Redis answers PING, is configured so that it cannot drop
 * accepted commits (`noeviction`), and records the same lane count as this ingest's `LANES` (or
 * none yet): with another recorded count every commit is refused (503, `LANES_MISMATCH`), so a pod
 * left on the old `LANES` during a change must leave the Service. Risks that do not stop the
 * service (AOF off) are shown as the `redisDurability` check's detail without failing it.
 */
export function createIngestReadiness(redis: {
  /** PING. */
  ping: () => Promise<unknown>;
  /** Reads Redis' settings (see `checkRedisSafety`). */
  checkSafety: () => Promise<RedisSafety>;
  /** This ingest's `LANES`. */
  lanes: number;
  /** The lane count recorded in Redis, undefined when none is (see `readLaneCount`). */
  readLaneCount: () => Promise<number | undefined>;
  /** REDIS_WAIT_REPLICAS: replicas each store waits for; 0 for none. */
  waitReplicas: number;
}): ReadinessProbe {
  return async (): Promise<Readiness> => {
    // At once, not one after the other: the probe answers within PROBE_TIMEOUT_MS, inside the
    // pod's readiness timeout (3 s in deploy/k8s), even when Redis is slow to answer each.
    const [ping, safety, laneCount] = await Promise.allSettled([
      withTimeout(redis.ping(), PROBE_TIMEOUT_MS, 'PING'),
      withTimeout(redis.checkSafety(), PROBE_TIMEOUT_MS, 'INFO'),
      withTimeout(redis.readLaneCount(), PROBE_TIMEOUT_MS, 'GET of the lane count'),
    ]);
    if (ping.status === 'rejected') {
      return {
        ready: false,
        checks: {
          redis: { ok: false, detail: `Redis does not answer: ${messageOf(ping.reason)}` },
        },
      };
    }
    const checks: Readiness['checks'] = { redis: { ok: true } };
    if (safety.status === 'rejected') {
      checks.redisSafety = {
        ok: false,
        detail: `cannot read Redis' settings: ${messageOf(safety.reason)}`,
      };
    } else {
      checks.redisSafety = safety.value.safe
        ? { ok: true }
        : { ok: false, detail: `unsafe Redis: ${safety.value.problems.join('; ')}` };
      if (safety.value.warnings.length > 0) {
        checks.redisDurability = { ok: true, detail: safety.value.warnings.join('; ') };
      }
      if (redis.waitReplicas > 0)
        checks.redisReplicas = replicasCheck(redis.waitReplicas, safety.value);
    }
    checks.laneCount = laneCountCheck(redis.lanes, laneCount);
    return { ready: Object.values(checks).every((check) => check.ok), checks };
  };
}

/**
 * With fewer replicas connected than REDIS_WAIT_REPLICAS, every store waits out
 * REDIS_WAIT_TIMEOUT and is answered 503, holding the connection every store shares meanwhile:
 * the pod must leave the Service until the replicas are back.
 */
function replicasCheck(wanted: number, safety: RedisSafety): Readiness['checks'][string] {
  const connected = safety.connectedReplicas;
  if (connected === undefined) {
    return { ok: false, detail: 'Redis does not say how many replicas it has (INFO replication)' };
  }
  if (connected >= wanted) return { ok: true };
  const where = safety.fewestReplicasNode === undefined ? '' : ` (${safety.fewestReplicasNode})`;
  return {
    ok: false,
    detail:
      `REDIS_WAIT_REPLICAS=${wanted} but the primary${where} has ${connected} replica${connected === 1 ? '' : 's'} connected: ` +
      'every commit would be answered 503 once REDIS_WAIT_TIMEOUT ran out',
  };
}

function laneCountCheck(
  lanes: number,
  reading: PromiseSettledResult<number | undefined>,
): Readiness['checks'][string] {
  if (reading.status === 'rejected') {
    return { ok: false, detail: `cannot read the lane count: ${messageOf(reading.reason)}` };
  }
  const recorded = reading.value;
  if (recorded === undefined || recorded === lanes) return { ok: true };
  return {
    ok: false,
    detail:
      `LANES=${lanes} but the queues in this Redis are made with LANES=${recorded}: ` +
      `every commit is refused (503) until this ingest restarts with LANES=${recorded}`,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
