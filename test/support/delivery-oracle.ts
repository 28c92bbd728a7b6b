/**
 * The oracle of the fault tests: which accepted commits are missing from Kafka, and how many
 * jobs ended failed or are still held. Lost must be empty; failed must be 0.
 */
import { createRedisConnection, laneQueueName, readLaneBacklogs } from '@commitlog/queue';
import { waitFor } from '@commitlog/testkit';
import type { RunningSystem } from '@commitlog/testkit';
import { header, readUntil } from './kafka-check.ts';

/** Reads `topic` until every accepted id is there (or the deadline), and returns the missing ids. */
export async function lostCommits(
  brokers: string[],
  topic: string,
  accepted: readonly string[],
): Promise<string[]> {
  const want = new Set(accepted);
  const records = await readUntil(
    brokers,
    [topic],
    (rs) => new Set(rs.map((r) => header(r, 'commitlog-id'))).size >= want.size,
    120_000,
  ).catch(() => []);
  const got = new Set(records.map((r) => header(r, 'commitlog-id')));
  return [...want].filter((id) => !got.has(id));
}

/** Failed, active (held) and waiting jobs over every lane of the system. */
export async function unfinishedJobs(
  system: RunningSystem,
  lanes: number,
): Promise<{ failed: number; active: number; waiting: number }> {
  const redis = createRedisConnection({ url: system.redisUrl, role: 'worker', onError: () => {} });
  try {
    const backlogs = await readLaneBacklogs(
      redis,
      system.prefix,
      Array.from({ length: lanes }, (_, lane) => lane),
    );
    return {
      failed: backlogs.reduce((n, l) => n + l.failed, 0),
      active: backlogs.reduce((n, l) => n + l.active, 0),
      waiting: backlogs.reduce((n, l) => n + l.waiting, 0),
    };
  } finally {
    redis.disconnect();
  }
}

/**
 * `unfinishedJobs` once no job is active or waiting, or as they are after `timeoutMs`: a worker
 * completes a job in Redis after Kafka's answer, so a consumer can read its record first.
 */
export async function settledJobs(
  system: RunningSystem,
  lanes: number,
  timeoutMs = 30_000,
): Promise<{ failed: number; active: number; waiting: number }> {
  let last = await unfinishedJobs(system, lanes);
  for (const deadline = Date.now() + timeoutMs; last.active + last.waiting > 0;) {
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await unfinishedJobs(system, lanes);
  }
  return last;
}

/** A counter of one worker process, summed over its labels (0 while it cannot say). */
async function workerCounter(worker: { port: number }, name: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${worker.port}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  let total = 0;
  for (const [, n] of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))) {
    total += Number(n);
  }
  return total;
}

/** Commits one worker process delivered so far, read from its /metrics (0 while it cannot say). */
export function deliveredBy(worker: { port: number }): Promise<number> {
  return workerCounter(worker, 'commitlog_delivered_total');
}

/** Sends one worker process tried again after a failure, so far. */
export function retriesBy(worker: { port: number }): Promise<number> {
  return workerCounter(worker, 'commitlog_retries_total');
}

/**
 * Waits until the job of an accepted commit has failed for good, and returns its reason as the
 * lane worker wrote it (`<reason>: <message>`); and whether it is in its lane's failed set.
 */
export async function deliveryFailureOf(
  system: Pick<RunningSystem, 'redisUrl' | 'prefix'>,
  accepted: { id: string; lane: number },
  timeoutMs = 30_000,
): Promise<{ reason: string; inFailedSet: boolean }> {
  const redis = createRedisConnection({ url: system.redisUrl, role: 'worker', onError: () => {} });
  try {
    const queueKey = `${system.prefix}:${laneQueueName(accepted.lane)}`;
    const reason = await waitFor(() => redis.hget(`${queueKey}:${accepted.id}`, 'failedReason'), {
      timeoutMs,
      description: `commit ${accepted.id} to fail`,
    });
    const inFailedSet = (await redis.zscore(`${queueKey}:failed`, accepted.id)) !== null;
    return { reason, inFailedSet };
  } finally {
    redis.disconnect();
  }
}
