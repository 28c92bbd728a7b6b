import type { Registry } from 'prom-client';

/** One dependency's state, as `/readyz` reports it. `detail` says why, for a human; no secrets. */
export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

/** Whether the process can do its work now, and why (`checks` by name, e.g. `redis`). */
export interface Readiness {
  ready: boolean;
  checks: Record<string, ReadinessCheck>;
}

/** Asked on every `/readyz`; a probe that throws counts as not ready. */
export type ReadinessProbe = () => Promise<Readiness>;

/** The JSON error body every commitlog HTTP endpoint answers with. */
export interface ErrorBody {
  /** `path`: the field of the request that is wrong, where one is. */
  error: { code: string; message: string; path?: string };
}

/** The content type of every JSON answer of the ops endpoints. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The body of `GET /healthz`: the process is alive and answering (nothing else is checked). */
export function healthzBody(): { status: 'ok' } {
  return { status: 'ok' };
}

/** `GET /readyz`: 200 when ready, 503 otherwise, with every check in the body. */
export async function readyzResult(
  readiness: ReadinessProbe,
): Promise<{ status: 200 | 503; body: Readiness }> {
  let result: Readiness;
  try {
    result = await readiness();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    result = { ready: false, checks: { readiness: { ok: false, detail } } };
  }
  return {
    status: result.ready ? 200 : 503,
    body: { ready: result.ready, checks: result.checks },
  };
}

/**
 * `probe`, until `isStopping()`: from then on not ready, with a `stopping` check, and `probe` is
 * not asked. A process that drains for up to SHUTDOWN_TIMEOUT would otherwise report ready all
 * along, so a rollout counted it as available and a dashboard showed nothing amiss.
 */
export function notReadyOnceStopping(
  probe: ReadinessProbe,
  isStopping: () => boolean,
): ReadinessProbe {
  return () =>
    isStopping()
      ? Promise.resolve({
          ready: false,
          checks: {
            stopping: { ok: false, detail: 'stopping: finishing the work in hand, then exiting' },
          },
        })
      : probe();
}

/**
 * A probe that reads at most once per `forMs`: callers within that time of the last reading get
 * it, and callers while a reading is under way wait for that one. `/readyz` needs no sign-in, and
 * each reading costs Redis round trips (PING, INFO on every primary, a GET): a client polling it
 * in a loop would otherwise load Redis as much as it likes.
 */
export function sharedReadiness(
  probe: ReadinessProbe,
  forMs: number,
  now: () => number = Date.now,
): ReadinessProbe {
  let underWay: Promise<Readiness> | undefined;
  let last: { at: number; reading: Promise<Readiness> } | undefined;
  return () => {
    if (underWay) return underWay;
    if (last !== undefined && now() - last.at < forMs) return last.reading;
    const reading = probe();
    underWay = reading;
    reading.then(
      () => {
        last = { at: now(), reading };
        underWay = undefined;
      },
      () => {
        // Not kept: the next caller asks again.
        underWay = undefined;
      },
    );
    return reading;
  };
}

/** `GET /metrics`: the registry in Prometheus' text format, or a JSON 500 if collecting failed. */
export async function metricsResult(
  registry: Registry,
): Promise<{ status: 200 | 500; contentType: string; body: string }> {
  try {
    return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      status: 500,
      contentType: JSON_CONTENT_TYPE,
      body: JSON.stringify(errorBody('METRICS_FAILED', `collecting metrics failed: ${message}`)),
    };
  }
}

/** `{"error": {"code", "message"}}`, and `"path"` when a field of the request is named. */
export function errorBody(code: string, message: string, path?: string): ErrorBody {
  return { error: { code, message, ...(path === undefined ? {} : { path }) } };
}
