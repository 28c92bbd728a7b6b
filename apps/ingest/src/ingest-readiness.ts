import type { RedisSafety } from '@commitlog/queue';
import type { Readiness, ReadinessProbe } from '@commitlog/runtime';

/** How long `/readyz` waits for Redis before calling it not ready, ms. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * `/readyz` of the ingest: ready when Redis answers PING and is configured so that it cannot drop
 * accepted commits (`noeviction`). Risks that do not stop the service (AOF off) are shown as the
 * `redisDurability` check's detail without failing it.
 */
export function createIngestReadiness(redis: {
  /** PING. */
  ping: () => Promise<unknown>;
  /** Reads Redis' settings (see `checkRedisSafety`). */
  checkSafety: () => Promise<RedisSafety>;
}): ReadinessProbe {
  return async (): Promise<Readiness> => {
    try {
      await withTimeout(redis.ping(), 'PING');
    } catch (error) {
      return {
        ready: false,
        checks: { redis: { ok: false, detail: `Redis does not answer: ${messageOf(error)}` } },
      };
    }
    let safety;
    try {
      safety = await withTimeout(redis.checkSafety(), 'INFO');
    } catch (error) {
      return {
        ready: false,
        checks: {
          redis: { ok: true },
          redisSafety: { ok: false, detail: `cannot read Redis' settings: ${messageOf(error)}` },
        },
      };
    }
    const checks: Readiness['checks'] = {
      redis: { ok: true },
      redisSafety: safety.safe
        ? { ok: true }
        : { ok: false, detail: `unsafe Redis: ${safety.problems.join('; ')}` },
    };
    if (safety.warnings.length > 0) {
      checks.redisDurability = { ok: true, detail: safety.warnings.join('; ') };
    }
    return { ready: safety.safe, checks };
  };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} took longer than ${PROBE_TIMEOUT_MS} ms`)),
      PROBE_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
