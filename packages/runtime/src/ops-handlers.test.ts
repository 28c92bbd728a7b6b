import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, Registry } from './metrics.ts';
import {
  errorBody,
  healthzBody,
  metricsResult,
  notReadyOnceStopping,
  readyzResult,
  sharedReadiness,
  type Readiness,
} from './ops-handlers.ts';

describe('ops handlers', () => {
  it('healthz says the process is alive', () => {
    expect(healthzBody()).toEqual({ status: 'ok' });
  });

  it('readyz answers 200 when ready and 503 when not, with the checks', async () => {
    const checks = { redis: { ok: true }, safety: { ok: true, detail: 'aof on, noeviction' } };
    expect(await readyzResult(() => Promise.resolve({ ready: true, checks }))).toEqual({
      status: 200,
      body: { ready: true, checks },
    });
    const down = { redis: { ok: false, detail: 'connect ECONNREFUSED 127.0.0.1:6379' } };
    expect(await readyzResult(() => Promise.resolve({ ready: false, checks: down }))).toEqual({
      status: 503,
      body: { ready: false, checks: down },
    });
  });

  it('readyz counts a probe that throws as not ready', async () => {
    expect(await readyzResult(() => Promise.reject(new Error('probe broke')))).toEqual({
      status: 503,
      body: { ready: false, checks: { readiness: { ok: false, detail: 'probe broke' } } },
    });
  });

  it('readyz is 503 with a stopping check once the process is stopping, without asking the probe', async () => {
    let stopping = false;
    let asked = 0;
    const probe = notReadyOnceStopping(
      () => {
        asked += 1;
        return Promise.resolve({ ready: true, checks: { redis: { ok: true } } });
      },
      () => stopping,
    );
    expect(await readyzResult(probe)).toMatchObject({ status: 200 });
    stopping = true;
    expect(await readyzResult(probe)).toEqual({
      status: 503,
      body: {
        ready: false,
        checks: {
          stopping: { ok: false, detail: 'stopping: finishing the work in hand, then exiting' },
        },
      },
    });
    expect(asked).toBe(1);
  });

  it('metrics answers in the Prometheus text format', async () => {
    const result = await metricsResult(createMetricsRegistry('dashboard'));
    expect(result.status).toBe(200);
    expect(result.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(result.body).toContain('commitlog_process_cpu_user_seconds_total');
  });

  it('metrics answers a JSON 500 when collecting fails', async () => {
    const registry = new Registry();
    registry.metrics = () => Promise.reject(new Error('collector threw'));
    const result = await metricsResult(registry);
    expect(result.status).toBe(500);
    expect(JSON.parse(result.body)).toEqual(
      errorBody('METRICS_FAILED', 'collecting metrics failed: collector threw'),
    );
  });
});

describe('sharedReadiness', () => {
  it('reads at most once per period, and shares a reading under way', async () => {
    let t = 0;
    let readings = 0;
    let finish: () => void = () => undefined;
    const probe = () => {
      readings++;
      return new Promise<Readiness>((resolve) => {
        finish = () => resolve({ ready: true, checks: { redis: { ok: true } } });
      });
    };
    const shared = sharedReadiness(probe, 1000, () => t);
    const first = shared();
    const second = shared(); // under way: the same reading
    finish();
    expect(await first).toEqual(await second);
    t = 999;
    await shared(); // within the period: no reading
    expect(readings).toBe(1);
    t = 1000;
    const third = shared();
    finish();
    await third;
    expect(readings).toBe(2);
  });

  it('keeps no failed reading', async () => {
    let readings = 0;
    const shared = sharedReadiness(
      () => {
        readings++;
        return Promise.reject(new Error('probe broke'));
      },
      1000,
      () => 0,
    );
    await expect(shared()).rejects.toThrow('probe broke');
    await expect(shared()).rejects.toThrow('probe broke');
    expect(readings).toBe(2);
  });
});
