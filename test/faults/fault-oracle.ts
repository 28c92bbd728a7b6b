/**
 * The oracle at the end of a fault scenario: reads the scenario's topic from its beginning and
 * Redis' lanes, and tells what became of every commit the ingest answered 2xx for.
 */
import { collectRecords, type CollectedRecord } from '@commitlog/kafka';
import { createRedisConnection, readLaneBacklogs } from '@commitlog/queue';
import { waitFor } from '@commitlog/testkit';
import { header } from '../support/kafka-check.ts';
import { orderProblems, staleCopies } from '../support/order-check.ts';
import type { LoadTally } from './fault-load.ts';

export interface DeliveryReport {
  /** Distinct commits the ingest answered 2xx for. */
  accepted: number;
  /** Of those, how many are on Kafka. */
  delivered: number;
  /** Accepted ids missing from Kafka. Must be empty. */
  lost: string[];
  /** Records on Kafka beyond the first of their commit id. */
  duplicates: number;
  /** Jobs that ended failed, and jobs still waiting or active when the oracle gave up. */
  failed: number;
  unfinished: number;
  /**
   * Ms from the end of the fault until every commit made before that end was on Kafka (0 when
   * they were all there already); undefined when some never arrived.
   */
  recoveryMs: number | undefined;
  /** Per-key order problems (see order-check.ts), every key included. */
  orderProblems: string[];
  /** Old copies that landed after newer commits of their key (see order-check.ts). */
  staleCopies: string[];
  /** Keys that have a commit on Kafka more than once (they were in flight during a fault). */
  keysWithDuplicates: Set<string>;
  /** When each distinct commit first reached Kafka (its record's append time), epoch ms. */
  firstDeliveries: number[];
}

export interface OracleInput {
  brokers: string[];
  topic: string;
  tally: LoadTally;
  redisUrl: string;
  prefix: string;
  lanes: number;
  /** Epoch ms the (last) fault ended. */
  faultEndedAt: number;
  /** How long to wait for the backlog to reach Kafka. Default 180000. */
  drainTimeoutMs?: number;
}

/** Failed jobs and jobs not finished (waiting or active) over every lane. */
export async function laneCounts(
  redisUrl: string,
  prefix: string,
  lanes: number,
): Promise<{ failed: number; unfinished: number }> {
  const redis = createRedisConnection({ url: redisUrl, role: 'worker', onError: () => {} });
  try {
    const backlogs = await readLaneBacklogs(
      redis,
      prefix,
      Array.from({ length: lanes }, (_, lane) => lane),
    );
    return {
      failed: backlogs.reduce((n, l) => n + l.failed, 0),
      unfinished: backlogs.reduce((n, l) => n + l.waiting + l.active, 0),
    };
  } finally {
    redis.disconnect();
  }
}

/**
 * After every accepted id is on Kafka, how long the oracle goes on reading once no job is left:
 * past WORKER_LOCK (4 s in every end-to-end system), by when a request given up by a worker
 * that lost its lock can no longer land. Duplicates and stale copies that land after the last
 * first copy are counted too.
 */
const LATE_COPIES_MS = 6_000;

/**
 * Reads the topic until every accepted id is on it or the deadline passes; then, once the lanes
 * hold no job, for LATE_COPIES_MS more.
 */
async function readAccepted(
  input: OracleInput,
  accepted: ReadonlySet<string>,
  timeoutMs: number,
): Promise<CollectedRecord[]> {
  const { brokers, topic } = input;
  const collector = await collectRecords({ brokers, clientId: 'commitlog-fault-oracle' }, [topic]);
  try {
    const seen = new Set<string>();
    let read = 0;
    await waitFor(
      () => {
        const records = collector.records;
        for (; read < records.length; read++) {
          const id = header(records[read]!, 'commitlog-id');
          if (id !== undefined && accepted.has(id)) seen.add(id);
        }
        return seen.size >= accepted.size;
      },
      { timeoutMs, intervalMs: 250, description: `every accepted commit on ${topic}` },
    ).catch(() => undefined);
    if (seen.size >= accepted.size) {
      await waitFor(
        async () => (await laneCounts(input.redisUrl, input.prefix, input.lanes)).unfinished === 0,
        { timeoutMs: 30_000, intervalMs: 250, description: 'no job left in the lanes' },
      ).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, LATE_COPIES_MS));
    }
    return [...collector.records];
  } finally {
    await collector.stop();
  }
}

export async function checkDelivery(input: OracleInput): Promise<DeliveryReport> {
  const acceptedIds = new Set(input.tally.accepted.map((a) => a.id));
  const records = await readAccepted(input, acceptedIds, input.drainTimeoutMs ?? 180_000);
  const firstDelivered = new Map<string, number>();
  const keysWithDuplicates = new Set<string>();
  let duplicates = 0;
  for (const record of records) {
    const id = header(record, 'commitlog-id') ?? '';
    if (firstDelivered.has(id)) {
      duplicates++;
      keysWithDuplicates.add(Buffer.from(record.key ?? []).toString('utf8'));
    } else firstDelivered.set(id, record.timestamp);
  }
  const lost = [...acceptedIds].filter((id) => !firstDelivered.has(id));
  let recoveryMs: number | undefined = 0;
  if (lost.length > 0) recoveryMs = undefined;
  else {
    for (const a of input.tally.accepted) {
      if (a.generatedAt > input.faultEndedAt) continue;
      const at = firstDelivered.get(a.id) ?? input.faultEndedAt;
      recoveryMs = Math.max(recoveryMs, at - input.faultEndedAt);
    }
  }
  const counts = await laneCounts(input.redisUrl, input.prefix, input.lanes).catch(() => ({
    failed: -1,
    unfinished: -1,
  }));
  return {
    accepted: acceptedIds.size,
    delivered: acceptedIds.size - lost.length,
    lost,
    duplicates,
    failed: counts.failed,
    unfinished: counts.unfinished,
    recoveryMs,
    orderProblems: orderProblems(input.tally.perKey, records),
    staleCopies: staleCopies(input.tally.perKey, records),
    keysWithDuplicates,
    firstDeliveries: [...firstDelivered.values()],
  };
}
