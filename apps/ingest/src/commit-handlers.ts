import {
  assertCommitSize,
  CommitTooLargeError,
  parseBatch,
  parseCommit,
  singleCommitBodyLimit,
  ValidationError,
  type Commit,
} from '@commitlog/core';
import type { CommitEnqueuer, CommitJobData, EnqueueResult } from '@commitlog/queue';
import type { IngestConfig } from '@commitlog/runtime';
import type { CommitRequest } from './commit-request.ts';
import { commitJob, enqueueCommits } from './enqueue-commits.ts';
import { errorResponse } from './http-response.ts';
import { commitPlace, type CommitResponse, type RequestSummary } from './request-summary.ts';
import { readSignedJson } from './signed-json.ts';
import { BodyBudgetSpentError, type BodyBudget } from './body-budget.ts';

export interface CommitHandlerDeps {
  enqueuer: Pick<CommitEnqueuer, 'enqueue'>;
  /** Bytes of request bodies held at once (INGEST_MAX_BYTES_IN_FLIGHT); unlimited without. */
  bodyBudget?: BodyBudget;
  config: Pick<
    IngestConfig,
    'lanes' | 'maxCommitBytes' | 'maxBatchBytes' | 'secrets' | 'replayWindowS' | 'routes'
  >;
  /** The clock, epoch milliseconds: signature times and `receivedAt`. */
  now: () => number;
}

export interface CommitHandlers {
  /** `POST /v1/commits`: one commit. */
  postCommit(request: CommitRequest): Promise<CommitResponse>;
  /** `POST /v1/commits/batch`: `{"commits": [...]}`, 1 to 1,000, answered in order. */
  postBatch(request: CommitRequest): Promise<CommitResponse>;
}

/**
 * The body limit of one `POST /v1/commits`. A body may spell a commit at more length than
 * `singleCommitBodyLimit` allows and its record still fit `MAX_COMMIT_BYTES` (metadata written
 * with `\u` escapes or whitespace, which its record, re-encoded, does not carry); the batch
 * endpoint takes such a commit, so a request that declares its length may be as large as a
 * batch. `MAX_COMMIT_BYTES` is judged on the record either way. A chunked body keeps the smaller
 * limit: not knowing its size, the ingest checks all of its limit against the body budget.
 */
export function singleRequestBodyLimit(
  config: { maxCommitBytes: number; maxBatchBytes: number },
  contentLength: number | undefined,
): number {
  const limit = singleCommitBodyLimit(config.maxCommitBytes);
  return contentLength === undefined || contentLength < 0
    ? limit
    : Math.max(limit, config.maxBatchBytes);
}

/**
 * The two commit endpoints (DESIGN.md, "Ingest HTTP API, v1"). Checks, in order: 415, 413 body,
 * 401, 503 body budget, 400 JSON, 400 schema, 413 commit; only then is anything enqueued, so a refused request
 * stores nothing (a batch's commits are all validated before the first is enqueued). 202 only
 * once every commit is in Redis; 503 with `Retry-After` otherwise.
 */
export function createCommitHandlers(deps: CommitHandlerDeps): CommitHandlers {
  const { config } = deps;
  const signed = {
    secrets: config.secrets,
    replayWindowS: config.replayWindowS,
    now: deps.now,
  };

  const receivedAt = (): string => new Date(deps.now()).toISOString();

  /**
   * Runs `handle` with the request's body bytes charged to the budget as they arrive (a body that
   * declares a length that cannot fit now is refused before it is read: all of its endpoint's
   * limit when it declares none). 503 `INGEST_BUSY` when they do not fit. Checked when the body
   * is first read, after the header checks: a request no retry can fix (415, a declared 413, no
   * valid signature header) is told so, not sent back to retry by a busy ingest.
   */
  async function withinBudget(
    request: CommitRequest,
    limit: number,
    handle: (request: CommitRequest) => Promise<CommitResponse>,
  ): Promise<CommitResponse> {
    const budget = deps.bodyBudget;
    if (!budget) return handle(request);
    const declared = request.contentLength;
    const expected = Math.min(declared !== undefined && declared >= 0 ? declared : limit, limit);
    const reservation = budget.open();
    const charged: CommitRequest = {
      ...request,
      readBody: (bodyLimit, admit) =>
        budget.fits(expected)
          ? request.readBody(
              bodyLimit,
              (bytes) => reservation.grow(bytes) && (admit?.(bytes) ?? true),
            )
          : Promise.reject(new BodyBudgetSpentError()),
      chargeBody: (bytes) => reservation.grow(bytes),
    };
    try {
      return await handle(charged);
    } finally {
      reservation.release();
    }
  }

  /** Stores the jobs; the results in order, or the 503 refusing the request. */
  async function accept(
    jobs: readonly CommitJobData[],
    summary: RequestSummary,
  ): Promise<{ results: EnqueueResult[] } | { response: CommitResponse }> {
    const outcome = await enqueueCommits(deps.enqueuer, jobs);
    const stored = outcome.ok ? outcome.results : [...outcome.stored, ...outcome.storedThenRefused];
    summary.accepted = stored.filter((r) => !r.duplicate).length;
    summary.duplicates = stored.length - summary.accepted;
    return outcome.ok
      ? { results: outcome.results }
      : { response: { ...outcome.response, summary } };
  }

  /** Stores the commit of a signed body's JSON. */
  async function storeCommit(json: unknown): Promise<CommitResponse> {
    let commit: Commit;
    try {
      commit = parseCommit(json);
      assertCommitSize(commit, config.maxCommitBytes, '', config.routes);
    } catch (error) {
      return { ...contentRefusal(error), summary: {} };
    }
    const job = commitJob(commit, config.lanes, receivedAt());
    const summary: RequestSummary = {
      commits: 1,
      ...commitPlace(commit),
      jobId: job.id,
      lane: job.lane,
    };
    const accepted = await accept([job], summary);
    if ('response' in accepted) return accepted.response;
    const [result] = accepted.results;
    if (result === undefined) throw new Error('the enqueuer answered no result');
    return { status: 202, body: resultBody(result), summary };
  }

  /** Stores the batch of a signed body's JSON. */
  async function storeBatch(json: unknown): Promise<CommitResponse> {
    let commits: Commit[];
    try {
      commits = parseBatch(json);
      commits.forEach((commit, i) =>
        assertCommitSize(commit, config.maxCommitBytes, `commits[${i}]`, config.routes),
      );
    } catch (error) {
      return { ...contentRefusal(error), summary: {} };
    }
    const summary: RequestSummary = { commits: commits.length };
    const at = receivedAt();
    const jobs = commits.map((commit) => commitJob(commit, config.lanes, at));
    const accepted = await accept(jobs, summary);
    if ('response' in accepted) return accepted.response;
    return { status: 202, body: { results: accepted.results.map(resultBody) }, summary };
  }

  /**
   * Reads a signed body of at most `limit` bytes and hands its JSON to `store`. Every answer
   * given after the signature checked out says so (`signed`), whatever it is.
   */
  async function readThenStore(
    request: CommitRequest,
    limit: number,
    store: (json: unknown) => Promise<CommitResponse>,
  ): Promise<CommitResponse> {
    const read = await readSignedJson(request, { ...signed, limit });
    if (!read.ok)
      return { ...read.response, summary: {}, ...(read.signed ? { signed: true } : {}) };
    return { ...(await store(read.json)), signed: true };
  }

  return {
    postCommit: (request) => {
      const limit = singleRequestBodyLimit(config, request.contentLength);
      return withinBudget(request, limit, (charged) => readThenStore(charged, limit, storeCommit));
    },
    postBatch: (request) =>
      withinBudget(request, config.maxBatchBytes, (charged) =>
        readThenStore(charged, config.maxBatchBytes, storeBatch),
      ),
  };
}

/** 400 for a commit or batch that breaks the schema, 413 for a commit over the size limit. */
function contentRefusal(error: unknown) {
  if (error instanceof ValidationError) {
    return errorResponse(400, error.code, error.message, { path: error.path });
  }
  if (error instanceof CommitTooLargeError) {
    return errorResponse(413, error.code, error.message, { path: error.path });
  }
  throw error;
}

/** `{"id", "lane", "duplicate"}`, and nothing else the enqueuer may add. */
function resultBody({ id, lane, duplicate }: EnqueueResult) {
  return { id, lane, duplicate };
}
