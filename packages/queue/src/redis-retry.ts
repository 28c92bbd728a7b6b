import { CommitlogError } from '@commitlog/core';
import { ReplyError } from 'ioredis';
import { whenFirstConnected, type RedisConnection } from './redis-connection.ts';
import { isSettlingReply } from './redis-settling.ts';

/**
 * Whether waiting cannot fix `error`: a refusal Redis gives on purpose (NOAUTH, WRONGPASS,
 * NOPERM, an unknown command…) or one of commitlog's own non-retriable errors (a LANES that
 * disagrees with the recorded count, say). Anything else (a connection that is not up yet, a
 * cluster still settling, ioredis giving up on its redirections) may pass.
 */
export function isLastingRedisError(error: unknown): boolean {
  if (error instanceof CommitlogError) return !error.retriable;
  if (!(error instanceof ReplyError)) return false;
  return !isSettlingReply((error as Error).message);
}

export interface UntilRedisAnswersOptions {
  /** True once the caller gave up (a stop during start-up): the next failure is thrown. */
  stopped(): boolean;
  /** The pause between two tries (2 s unless given). */
  pauseMs?: number;
  onRetry?(error: unknown): void;
}

/**
 * Runs `step` until it succeeds, pausing between tries while Redis is away or settling. A single
 * Redis's client keeps commands queued until it connects, but a cluster client gives up on nodes
 * that are not up yet, and a cluster that is forming answers CLUSTERDOWN or MOVED for a while:
 * a role started before its cluster would exit and crash-loop. A lasting error
 * (`isLastingRedisError`) is thrown at once: no wait fixes it. So is any error once `stopped()`.
 * `step` must be safe to run again after it failed part-way.
 */
export async function untilRedisAnswers<T>(
  step: () => Promise<T>,
  options: UntilRedisAnswersOptions,
): Promise<T> {
  for (;;) {
    try {
      return await step();
    } catch (error) {
      if (options.stopped() || isLastingRedisError(error)) throw error;
      options.onRetry?.(error);
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 2000));
    }
  }
}

/**
 * Waits, at most `timeoutMs`, for a client's first connection (`whenFirstConnected`), and throws
 * the refusal it met there if no wait fixes it (`isLastingRedisError`: a database Redis lacks, a
 * wrong password), so that a role stops at start-up with its reason instead of starting to
 * refuse every request. Redis being away is no such refusal: the role starts and waits for it
 * (and a refusal met only once it is back is logged, not thrown). A Redis Cluster's client
 * reports its nodes' refusals as `node error`s and its own as a ClusterAllFailedError, which
 * this does not take for lasting: a cluster's refusal shows in the log and `/readyz` only.
 */
export async function firstConnectionOrRefusal(
  client: RedisConnection,
  timeoutMs: number,
): Promise<void> {
  let refusal: Error | undefined;
  const note = (error: Error): void => {
    if (refusal === undefined && isLastingRedisError(error)) refusal = error;
  };
  client.on('error', note);
  try {
    await whenFirstConnected(client, timeoutMs);
  } finally {
    client.off('error', note);
  }
  if (refusal) throw refusal;
}
