import { Job, type JobJson, type JobProgress } from 'bullmq';

/**
 * The data a job is read with when the data stored in its hash is not a JSON object (a hand edit
 * of Redis, a cut-short restore). It holds no commit: the worker fails such a job as poison, a
 * re-drive leaves it where it is and counts it, Bull Board shows that it holds no commit.
 */
export const UNREADABLE_JOB_DATA = {
  unreadable: "the job's data in Redis is not valid JSON, or not an object (left there as it is)",
};

/**
 * BullMQ's job, except that its data is always an object. BullMQ parses a job's data whenever it
 * reads the job, and data that does not parse throws there, taking down whatever read it: the
 * lane worker taking it (the job stalls and comes back for ever, holding its lane), Bull Board's
 * page of its lane (every job on the page is read together), a re-drive reaching it. Data that
 * parses to no object (`null`, a number) throws later, in whatever reads its commit. Either is
 * read as `UNREADABLE_JOB_DATA` instead; the hash keeps its data as it is.
 */
export class TolerantJob<
  T = unknown,
  R = unknown,
  N extends string = string,
  P extends JobProgress = JobProgress,
> extends Job<T, R, N, P> {
  static override fromJSON<T = unknown, R = unknown, N extends string = string>(
    queue: Parameters<typeof Job.fromJSON>[0],
    json: JobJson,
    jobId?: string,
  ): Job<T, R, N> {
    const unreadable = { ...json, data: JSON.stringify(UNREADABLE_JOB_DATA) };
    let job: Job<T, R, N>;
    try {
      job = super.fromJSON<T, R, N>(queue, json, jobId);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      return super.fromJSON<T, R, N>(queue, unreadable, jobId);
    }
    // JSON, but not an object (`null`, a number): whatever reads `data.commit` would throw.
    const data: unknown = job.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return super.fromJSON<T, R, N>(queue, unreadable, jobId);
    }
    return job;
  }
}
