import { binaryToDisplay, cutForLog, type Commit, type RiakBinary } from '@commitlog/core';
import type { HttpResponse } from './http-response.ts';

/**
 * What the request log line and the metrics say about a commit POST. Never a value, a vclock, a
 * signature or a secret: bucket and key only, in display form.
 */
export interface RequestSummary {
  /** Commits the request carried, once its body parsed. */
  commits?: number;
  /** Commits stored as new jobs (they are in Redis, even when the answer is a 503). */
  accepted?: number;
  /** Commits that were already stored (a retried POST). */
  duplicates?: number;
  /** For a single commit: where it belongs, and its id and lane once stored. */
  bucketType?: string;
  bucket?: string;
  key?: string;
  /** The commit id, which is its job's id: named as the worker's and dashboard's logs name it. */
  jobId?: string;
  lane?: number;
}

/** A handler's answer to a commit POST, with what to log and count about it. */
export type CommitResponse = HttpResponse & {
  summary: RequestSummary;
  /**
   * The request's signature checked out (the answer may still refuse its content): only then
   * does its User-Agent, which any client can set, count as a hook's.
   */
  signed?: true;
};

/** A Riak binary for a log line: the text, or `base64:…`, cut to a readable length. */
export function displayBinary(binary: RiakBinary): string {
  return cutForLog(binaryToDisplay(binary));
}

/** Where a single commit belongs, for its log line. */
export function commitPlace(commit: Commit): Pick<RequestSummary, 'bucketType' | 'bucket' | 'key'> {
  return {
    bucketType: displayBinary(commit.bucketType),
    bucket: displayBinary(commit.bucket),
    key: displayBinary(commit.key),
  };
}
