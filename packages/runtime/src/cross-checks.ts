/**
 * The checks of a role's configuration that read several variables together, each problem
 * named after the variable to change. Run after each variable was read on its own; a variable
 * that was bad (undefined here) is not checked again.
 */
import { singleCommitBodyLimit } from '@commitlog/core';
import { getHeapStatistics } from 'node:v8';
import type { ConfigProblem } from './config-error.ts';
import type { Env } from './env-schema.ts';
import { kafkaSaslProblems, type KafkaSaslValues } from './kafka-sasl-checks.ts';

/**
 * Heap that a request body may take while it is read, parsed and stored, per byte of it: the
 * raw bytes, their text, the parsed JSON and each job's serialised data (body-budget.ts), one
 * copy each, with room for the rest of the ingest.
 */
export const HEAP_PER_BODY_BYTE = 4;

/** This process's V8 heap limit, bytes (`--max-old-space-size` and the young generation). */
export function processHeapLimitBytes(): number {
  return getHeapStatistics().heap_size_limit;
}

export interface IngestCrossValues {
  MAX_COMMIT_BYTES?: number | undefined;
  MAX_BATCH_BYTES?: number | undefined;
  INGEST_MAX_BYTES_IN_FLIGHT?: number | undefined;
  INGEST_PORT?: number | undefined;
  INGEST_OPS_PORT?: number | undefined;
}

export function ingestCrossChecks(
  values: IngestCrossValues,
  heapLimitBytes: number,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const {
    MAX_COMMIT_BYTES: commit,
    MAX_BATCH_BYTES: batch,
    INGEST_MAX_BYTES_IN_FLIGHT: inFlight,
  } = values;
  if (commit !== undefined && batch !== undefined && batch < singleCommitBodyLimit(commit)) {
    problems.push({
      variable: 'MAX_BATCH_BYTES',
      message: `must be at least ${singleCommitBodyLimit(commit)}, the body of one commit of MAX_COMMIT_BYTES (${commit}) as base64 in JSON, or a batch could not carry one (got "${batch}")`,
    });
  }
  if (batch !== undefined && inFlight !== undefined && inFlight < batch) {
    problems.push({
      variable: 'INGEST_MAX_BYTES_IN_FLIGHT',
      message: `must be at least MAX_BATCH_BYTES (${batch}), or a full batch would wait for an idle ingest (got "${inFlight}")`,
    });
  }
  // The budget is what keeps the heap under its limit whatever the clients send: a budget the
  // heap cannot hold would let a burst of large batches end the process, and every request in it.
  const heapRoom = Math.floor(heapLimitBytes / HEAP_PER_BODY_BYTE);
  if (batch !== undefined && batch > heapRoom) {
    // Its own problem: no INGEST_MAX_BYTES_IN_FLIGHT can hold such a batch, and that one's
    // message alone blamed the budget for a batch size no budget could take.
    problems.push({
      variable: 'MAX_BATCH_BYTES',
      message: `must be at most ${heapRoom}, the largest INGEST_MAX_BYTES_IN_FLIGHT this ingest's heap can hold, which a batch must fit in (got "${batch}")`,
    });
  }
  if (inFlight !== undefined && inFlight > heapRoom) {
    const mib = Math.round(heapLimitBytes / 1024 / 1024);
    problems.push({
      variable: 'INGEST_MAX_BYTES_IN_FLIGHT',
      message: `must be at most ${heapRoom}: bodies take about ${HEAP_PER_BODY_BYTE} times their size in heap while they are read, parsed and stored, and the ingest process's heap limit is ${mib} MiB (raise it with NODE_OPTIONS=--max-old-space-size=…, and the pod's memory with it) (got "${inFlight}")`,
    });
  }
  if (values.INGEST_OPS_PORT !== undefined && values.INGEST_OPS_PORT === values.INGEST_PORT) {
    problems.push({
      variable: 'INGEST_OPS_PORT',
      message: `must differ from INGEST_PORT: probes and scrapes have a server of their own, which a flood of hook connections cannot crowd out (got "${values.INGEST_OPS_PORT}")`,
    });
  }
  return problems;
}

export interface DashboardCrossValues {
  DASHBOARD_PORT?: number | undefined;
  DASHBOARD_OPS_PORT?: number | undefined;
}

export function dashboardCrossChecks(values: DashboardCrossValues): ConfigProblem[] {
  if (
    values.DASHBOARD_OPS_PORT === undefined ||
    values.DASHBOARD_OPS_PORT !== values.DASHBOARD_PORT
  ) {
    return [];
  }
  return [
    {
      variable: 'DASHBOARD_OPS_PORT',
      message: `must differ from DASHBOARD_PORT: /readyz and /metrics have a server of their own (got "${values.DASHBOARD_OPS_PORT}")`,
    },
  ];
}

export interface WorkerCrossValues extends KafkaSaslValues {
  WORKER_CONCURRENCY?: number | undefined;
  LANES?: number | undefined;
  RETRY_BASE?: number | undefined;
  RETRY_MAX?: number | undefined;
}

export function workerCrossChecks(values: WorkerCrossValues, env: Env): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const {
    WORKER_CONCURRENCY: concurrency,
    LANES: lanes,
    RETRY_BASE: base,
    RETRY_MAX: max,
  } = values;
  if (concurrency !== undefined && lanes !== undefined && concurrency > lanes) {
    problems.push({
      variable: 'WORKER_CONCURRENCY',
      message: `must be at most LANES (${lanes}): a worker delivers each lane one job at a time (got "${concurrency}")`,
    });
  }
  if (base !== undefined && max !== undefined && base > max) {
    // Left unset, RETRY_MAX is its default: said so, or the operator looks for a value never set.
    const unset = env.RETRY_MAX === undefined || env.RETRY_MAX.trim() === '';
    problems.push({
      variable: 'RETRY_MAX',
      message: `must be at least RETRY_BASE (${base} ms) (got ${max} ms${unset ? ', its default: set RETRY_MAX too' : ''})`,
    });
  }
  problems.push(...kafkaSaslProblems(values, env));
  return problems;
}
