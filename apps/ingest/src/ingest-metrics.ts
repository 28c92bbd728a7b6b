import type { RedisMemory } from '@commitlog/queue';
import {
  createCounter,
  createGauge,
  createHistogram,
  type ReadinessProbe,
  type Registry,
} from '@commitlog/runtime';
import { COMMIT_ROUTES } from './commit-routes.ts';
import type { EarlyRefusal } from './client-error.ts';
import { OTHER_CLIENT } from './hook-version.ts';
import type { FinishedRequest } from './request-log.ts';

export interface IngestMetrics {
  /** Counts one answered request. Its route is a pattern or `unknown`: never a label per URL. */
  observe(request: FinishedRequest): void;
  /**
   * Counts one request answered before the app saw it (`EarlyRefusal`), under the route
   * `unknown`: Node's parser had not read its URL, or the app never routed it.
   */
  observeEarlyRefusal(refusal: EarlyRefusal): void;
}

/**
 * The codes and statuses that alerts watch (deploy/prometheus/commitlog-alerts.yml), exported at 0
 * from the start. A labelled series appears at its first increment, and Prometheus's `increase`
 * and `rate` see nothing in a series' first sample: without these, the first refused commit or
 * internal error of each kind after an ingest starts would never alert.
 */
export const WATCHED_REJECTION_CODES = [
  'INVALID_JSON',
  'INVALID_COMMIT',
  'INVALID_BATCH',
  'COMMIT_TOO_LARGE',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'SIGNATURE_MISSING',
  'SIGNATURE_MALFORMED',
  'SIGNATURE_EXPIRED',
  'SIGNATURE_INVALID',
  'QUEUE_UNAVAILABLE',
  'BACKLOG_FULL',
  'INGEST_BUSY',
  'INTERNAL',
] as const;
/**
 * The most hook versions `commitlog_ingest_hook_requests_total` names in one ingest's life;
 * requests of any further version count under `hook_version="other"`. A rolling upgrade brings
 * one or two, and an ingest is restarted by each of its own upgrades.
 */
export const MAX_HOOK_VERSIONS_NAMED = 20;

// `aborted`: a hook gave up waiting (its request timeout) and wrote the commit to its failure log.
const WATCHED_STATUSES = ['202', '500', '503', 'aborted'] as const;

/** The ingest's metrics, in `registry`. */
export function createIngestMetrics(registry: Registry): IngestMetrics {
  const requests = createCounter(registry, {
    name: 'commitlog_ingest_requests_total',
    help: 'HTTP requests, by route and status (`aborted`: the client went away first).',
    labelNames: ['route', 'status'],
  });
  const accepted = createCounter(registry, {
    name: 'commitlog_ingest_commits_accepted_total',
    help: 'Commits stored in Redis as new jobs (duplicates not included).',
  });
  const duplicates = createCounter(registry, {
    name: 'commitlog_ingest_commits_duplicate_total',
    help: 'Commits posted again while their job was still kept: recognised, not stored twice.',
  });
  const rejected = createCounter(registry, {
    name: 'commitlog_ingest_rejected_total',
    help: 'Requests answered with an error, by error code.',
    labelNames: ['code'],
  });
  const duration = createHistogram(registry, {
    name: 'commitlog_ingest_request_seconds',
    help: 'Time from a request arriving to its answer being sent, by route.',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  // Which hook releases still post, for a rolling upgrade's order: every ingest before any hook.
  const hookRequests = createCounter(registry, {
    name: 'commitlog_ingest_hook_requests_total',
    help: `Commit requests whose signature checked out, by the hook version their User-Agent names (commitlog-riak-hook/<version>); "other" for any other client (commitlog requeue among them) and past ${MAX_HOOK_VERSIONS_NAMED} versions.`,
    labelNames: ['hook_version'],
  });
  // At 0 from the start (see WATCHED_REJECTION_CODES); a version's series appears at its first request.
  hookRequests.inc({ hook_version: OTHER_CLIENT }, 0);
  const versionsNamed = new Set<string>();
  function countHookRequest(version: string): void {
    if (version !== OTHER_CLIENT && versionsNamed.size < MAX_HOOK_VERSIONS_NAMED) {
      versionsNamed.add(version);
    }
    hookRequests.inc({ hook_version: versionsNamed.has(version) ? version : OTHER_CLIENT });
  }

  for (const code of WATCHED_REJECTION_CODES) rejected.inc({ code }, 0);
  for (const route of COMMIT_ROUTES) {
    for (const status of WATCHED_STATUSES) requests.inc({ route, status }, 0);
  }

  return {
    observe({ route, status, aborted, seconds, error, summary, hookVersion }) {
      requests.inc({ route, status: aborted ? 'aborted' : String(status) });
      if (hookVersion !== undefined) countHookRequest(hookVersion);
      duration.observe({ route }, seconds);
      if (error !== undefined) rejected.inc({ code: error.code });
      if (summary?.accepted) accepted.inc(summary.accepted);
      if (summary?.duplicates) duplicates.inc(summary.duplicates);
    },
    observeEarlyRefusal({ status, code }) {
      requests.inc({ route: 'unknown', status: String(status) });
      rejected.inc({ code });
    },
  };
}

/**
 * `commitlog_ingest_connections_dropped_total`, exported at 0 from the start (see
 * WATCHED_REJECTION_CODES): the returned function counts one connection closed as it was
 * accepted because INGEST_MAX_CONNECTIONS were open.
 */
export function droppedConnectionsCounter(registry: Registry): () => void {
  const dropped = createCounter(registry, {
    name: 'commitlog_ingest_connections_dropped_total',
    help: 'Client connections closed as they were accepted: INGEST_MAX_CONNECTIONS were open.',
  });
  dropped.inc(0);
  return () => dropped.inc();
}

/**
 * The ingest's state, read at each scrape: `commitlog_ingest_ready`, what `/readyz` would answer
 * (1 ready); and Redis's memory as the ingest last read it (the fullest node of a cluster),
 * against which it refuses commits past 95 % of `maxmemory`. A Service takes every ingest that is
 * not ready out at once when Redis is away or unsafe: no request then reaches one, and no request
 * counter says anything.
 */
export function ingestStateGauges(
  registry: Registry,
  sources: { readiness: ReadinessProbe; redisMemory: () => RedisMemory | undefined },
): void {
  createGauge(registry, {
    name: 'commitlog_ingest_ready',
    help: 'Whether this ingest is ready (1): Redis answers, is safe, and records its LANES (its /readyz, stopping aside).',
    async collect() {
      const ready = await sources.readiness().then(
        (reading) => reading.ready,
        () => false,
      );
      this.set(ready ? 1 : 0);
    },
  });
  const memoryGauges = [
    {
      name: 'commitlog_redis_memory_used_bytes',
      help: "Redis's memory counted against maxmemory, as the ingest last read it (the fullest node of a cluster).",
      of: (memory: RedisMemory) => memory.usedBytes,
    },
    {
      name: 'commitlog_redis_memory_max_bytes',
      help: "Redis's maxmemory (0: none), as the ingest last read it; past 95 % of it the ingest refuses commits.",
      of: (memory: RedisMemory) => memory.maxBytes,
    },
  ];
  for (const { name, help, of } of memoryGauges) {
    createGauge(registry, {
      name,
      help,
      collect() {
        const memory = sources.redisMemory();
        if (memory !== undefined) this.set(of(memory));
      },
    });
  }
}
