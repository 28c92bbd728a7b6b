import type { Queue } from 'bullmq';
import { ACCEPT_SEQUENCE_FIELD, type AcceptOrder } from './accept-sequence.ts';
import { jobGoneIds, type JobGoneId } from './job-gone-ids.ts';
import type { RedisConnection } from './redis-connection.ts';

/** Failed job ids read per round trip. */
const PAGE = 1000;

/** A failed job as the failed set and its hash tell it, without its data (the commit). */
export interface FailedEntry extends AcceptOrder {
  id: string;
  failedReason: string | null;
}

const ENTRY_FIELDS = ['failedReason', 'finishedOn', 'timestamp', ACCEPT_SEQUENCE_FIELD] as const;

/** An entry from its hash's ENTRY_FIELDS; undefined when the job is gone. */
function toEntry(
  id: string,
  [failedReason = null, finishedOn, timestamp, acceptSeq]: (string | null)[],
): FailedEntry | undefined {
  if (finishedOn === null || finishedOn === undefined) return undefined;
  return {
    id,
    failedReason,
    finishedOn: Number(finishedOn),
    timestamp: Number(timestamp ?? 0),
    acceptSeq: acceptSeq === null || acceptSeq === undefined ? undefined : Number(acceptSeq),
  };
}

/**
 * One failed job of a lane by its id; undefined when it is not in the failed set, or its job is
 * gone (`onJobGone` hears of that).
 */
export async function failedEntry(
  connection: RedisConnection,
  queue: Queue,
  id: string,
  onJobGone?: (gone: JobGoneId) => void,
): Promise<FailedEntry | undefined> {
  const [score, fields] = await Promise.all([
    connection.zscore(queue.toKey('failed'), id),
    connection.hmget(queue.toKey(id), ...ENTRY_FIELDS),
  ]);
  if (score === null) return undefined;
  const entry = toEntry(id, fields);
  if (entry === undefined && onJobGone) {
    for (const gone of await jobGoneIds(connection, queue, [id])) onJobGone(gone);
  }
  return entry;
}

/**
 * Every failed job of a lane as a `FailedEntry`, page by page, in the order of
 * the failed set's scores (when each failed). Pages follow a cursor on that score, not positions:
 * another process re-driving or removing failures meanwhile (the CLI beside the dashboard, the
 * retention) would shift positions, and a page by position would skip failures silently.
 * An id whose job is gone is no entry; `onJobGone` hears of each (looked for only among the ids
 * whose hash told no failure, so a page of whole jobs costs nothing more).
 */
export async function* failedEntries(
  connection: RedisConnection,
  queue: Queue,
  pageSize = PAGE,
  onJobGone?: (gone: JobGoneId) => void,
): AsyncGenerator<FailedEntry> {
  const failedKey = queue.toKey('failed');
  let from = '-inf';
  // Read at the cursor's score already: the next page starts at that score again.
  let seenAtScore = new Set<string>();
  for (;;) {
    // Room for the ones seen at the cursor's score (re-read, dropped below), so that a page holds
    // `pageSize` new ones when there are, however many share one score.
    const limit = pageSize + seenAtScore.size;
    const reply = await connection.zrangebyscore(
      failedKey,
      from,
      '+inf',
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    const page: { id: string; score: string }[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2)
      page.push({ id: reply[i]!, score: reply[i + 1]! });
    const fresh = page.filter((entry) => entry.score !== from || !seenAtScore.has(entry.id));
    if (fresh.length === 0) return;
    const pipeline = connection.pipeline();
    for (const { id } of fresh) pipeline.hmget(queue.toKey(id), ...ENTRY_FIELDS);
    const replies = (await pipeline.exec()) ?? [];
    const noEntry: string[] = [];
    for (const [i, { id }] of fresh.entries()) {
      const [error, value] = replies[i] ?? [new Error('incomplete pipeline reply'), null];
      if (error) throw error;
      const entry = toEntry(id, value as (string | null)[]);
      // Removed (re-driven, or past its retention) since its id was read, or its job is gone.
      if (entry) yield entry;
      else noEntry.push(id);
    }
    if (noEntry.length > 0 && onJobGone) {
      for (const gone of await jobGoneIds(connection, queue, noEntry)) onJobGone(gone);
    }
    const last = fresh.at(-1)!.score;
    if (last !== from) seenAtScore = new Set();
    for (const entry of fresh) if (entry.score === last) seenAtScore.add(entry.id);
    from = last;
    if (page.length < limit) return;
  }
}
