import { createMetricsRegistry } from '@commitlog/runtime';
import { describe, expect, it } from 'vitest';
import { createIngestMetrics, MAX_HOOK_VERSIONS_NAMED } from './ingest-metrics.ts';
import type { FinishedRequest } from './request-log.ts';

function finished(hookVersion: string | undefined): FinishedRequest {
  return {
    requestId: 'r-1',
    method: 'POST',
    route: '/v1/commits',
    status: 202,
    aborted: false,
    client: '127.0.0.1',
    seconds: 0.001,
    error: undefined,
    summary: { commits: 1, accepted: 1 },
    ...(hookVersion === undefined ? {} : { hookVersion }),
  };
}

async function hookVersionSeries(text: Promise<string>): Promise<Record<string, number>> {
  return Object.fromEntries(
    [
      ...(await text).matchAll(
        /^commitlog_ingest_hook_requests_total\{hook_version="([^"]*)"[^}]*\} (\d+)$/gm,
      ),
    ].map((m) => [m[1] ?? '', Number(m[2])]),
  );
}

describe('commitlog_ingest_hook_requests_total', () => {
  it('names at most MAX_HOOK_VERSIONS_NAMED versions, counting the rest as other', async () => {
    const registry = createMetricsRegistry('ingest');
    const metrics = createIngestMetrics(registry);
    const versions = Array.from({ length: MAX_HOOK_VERSIONS_NAMED + 5 }, (_, i) => `0.${i}.0`);
    for (const version of versions) metrics.observe(finished(version));
    // A version named before the cap was reached is still named after it.
    metrics.observe(finished('0.0.0'));
    metrics.observe(finished('other'));
    // Not a signed commit request: not counted at all.
    metrics.observe(finished(undefined));

    const series = await hookVersionSeries(registry.metrics());
    expect(Object.keys(series)).toHaveLength(MAX_HOOK_VERSIONS_NAMED + 1);
    expect(series['0.0.0']).toBe(2);
    expect(series[`0.${MAX_HOOK_VERSIONS_NAMED - 1}.0`]).toBe(1);
    expect(series[`0.${MAX_HOOK_VERSIONS_NAMED}.0`]).toBeUndefined();
    expect(series.other).toBe(5 + 1);
  });

  it("does not spend a version's place on other", async () => {
    const registry = createMetricsRegistry('ingest');
    const metrics = createIngestMetrics(registry);
    metrics.observe(finished('other'));
    const versions = Array.from({ length: MAX_HOOK_VERSIONS_NAMED }, (_, i) => `1.${i}.0`);
    for (const version of versions) metrics.observe(finished(version));
    const series = await hookVersionSeries(registry.metrics());
    expect(series).toMatchObject({ other: 1, [`1.${MAX_HOOK_VERSIONS_NAMED - 1}.0`]: 1 });
  });
});
