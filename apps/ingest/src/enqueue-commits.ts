import { commitId, laneOf, type Commit } from '@commitlog/core';
import type { CommitEnqueuer, CommitJobData, EnqueueResult } from '@commitlog/queue';
import type { HttpResponse } from './http-response.ts';
import { isQueueRefusal, queueRefusalResponse } from './queue-refusal.ts';

/** The job of an accepted commit: its id (which makes a retried POST a duplicate) and lane. */
export function commitJob(commit: Commit, lanes: number, receivedAt: string): CommitJobData {
  return { id: commitId(commit), lane: laneOf(commit, lanes), commit, receivedAt };
}

/** Every job stored (results in request order), or the 503 that refuses the request. */
export type EnqueueOutcome =
  | { ok: true; results: EnqueueResult[] }
  | {
      ok: false;
      response: HttpResponse;
      /** Stored and answered as such. */
      stored: EnqueueResult[];
      /**
       * Stored, but refused after (its replicas behind, Redis found unable to keep it): in Redis
       * all the same, for the counts (a retry answers them as duplicates).
       */
      storedThenRefused: EnqueueResult[];
    };

/**
 * Stores the jobs of validated commits, all at once so that the enqueuer stores them in one round
 * trip; it keeps call order, so commits of one key keep their order within their lane.
 *
 * All or nothing, as the answer goes: when the queue refuses any commit, the whole request is
 * answered 503, even if others were stored. The client retries the request, and the commits stored
 * the first time answer `duplicate: true` (their ids are derived from the commits), so none is lost
 * and none is delivered twice. Anything but a queue refusal is rethrown (a 500).
 */
export async function enqueueCommits(
  enqueuer: Pick<CommitEnqueuer, 'enqueue'>,
  jobs: readonly CommitJobData[],
): Promise<EnqueueOutcome> {
  const settled = await Promise.allSettled(jobs.map((job) => enqueuer.enqueue(job)));
  const results: EnqueueResult[] = [];
  const refused = [];
  const storedThenRefused = new Map<string, EnqueueResult>();
  for (const outcome of settled) {
    if (outcome.status === 'fulfilled') results.push(outcome.value);
    else if (isQueueRefusal(outcome.reason)) {
      refused.push(outcome.reason);
      const storedAs = 'storedAs' in outcome.reason ? outcome.reason.storedAs : undefined;
      // A commit twice in one batch is stored once; its second copy is the duplicate.
      if (storedAs !== undefined && !storedThenRefused.has(storedAs.id)) {
        storedThenRefused.set(storedAs.id, storedAs);
      }
    } else throw outcome.reason;
  }
  if (refused.length === 0) return { ok: true, results };
  const inRedis = results.length + storedThenRefused.size;
  return {
    ok: false,
    response: queueRefusalResponse(refused, inRedis, jobs.length),
    stored: results,
    storedThenRefused: [...storedThenRefused.values()],
  };
}
