import { deadlineClock, RECORD_FRAMING_BYTES, recordSize, type KafkaRecord } from '@commitlog/core';
import { KafkaProduceError, type RecordProducer } from '@commitlog/kafka';

/** The producer's refusals of a request for its time (the earliest settle-by of its callers). */
const TIME_CODES = new Set(['SEND_ABANDONED', 'SEND_TOO_LATE']);

/**
 * Gathers the records of many lanes into few produce requests. The producer takes one request
 * at a time (kafkajs#1005), so while one is in flight the next lanes' records wait and then go
 * together. Each caller learns the fate of its own records.
 */
export interface RecordGatherer {
  /**
   * Resolves when Kafka acknowledged these records; rejects with the producer's error. With
   * `settleBy` (epoch ms), the records reach Kafka by then or not from this call (see the
   * producer's `SendOptions`): a request carrying several callers' records gives up at the
   * earliest of their times.
   */
  send(records: readonly KafkaRecord[], settleBy?: number, options?: SendAlone): Promise<void>;
  /** Waits until nothing is queued or in flight. */
  drain(): Promise<void>;
}

/**
 * Most bytes of records in one produce request, each counted with `RECORD_FRAMING_BYTES`. A broker
 * refuses a partition's batch over its `max.message.bytes` (1,048,588 by default) with
 * MESSAGE_TOO_LARGE, and a request gathered from many lanes can put hundreds of records on one
 * partition: 500 records of 2 KB are over it. A refused request is sent again caller by caller,
 * so the records stored in it are stored twice and the lanes slow to a record per request.
 */
export const PRODUCE_REQUEST_BYTES = 1_000_000;

function weight(records: readonly KafkaRecord[]): number {
  let bytes = 0;
  for (const record of records) bytes += recordSize(record) + RECORD_FRAMING_BYTES;
  return bytes;
}

export interface SendAlone {
  /**
   * In a request of its own (a lane's retry: what failed its last request, a partition without
   * enough replicas say, would fail a shared one again, each time its backoff ends, and every
   * caller of it would be sent again alone, storing twice what Kafka had taken).
   */
  alone?: boolean;
}

interface Waiting {
  records: readonly KafkaRecord[];
  alone: boolean;
  /** `weight(records)`, counted once. */
  bytes: number;
  settleBy: number | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface RecordGathererOptions {
  producer: RecordProducer;
  /** Most records in one produce request. A single caller's records are never split. */
  maxRecords: number;
  /**
   * Most bytes in one produce request, records and their framing (default
   * `PRODUCE_REQUEST_BYTES`). A single caller over it goes alone, never split.
   */
  maxBytes?: number;
  /** The clock settle-by times are read against; default `deadlineClock.now` (record-producer.ts). */
  now?: () => number;
}

export function createRecordGatherer(options: RecordGathererOptions): RecordGatherer {
  let queue: Waiting[] = [];
  let running: Promise<void> | undefined;

  const maxBytes = options.maxBytes ?? PRODUCE_REQUEST_BYTES;
  const now = options.now ?? ((): number => deadlineClock.now());

  function take(): Waiting[] {
    // A caller past its settle-by time already (it waited for a slot, or behind a slow request)
    // is refused by the producer unsent. Alone, and first: in a shared request it would take the
    // others' request down, and each of them would then be sent alone, one after another. Callers
    // are lanes, one caller each, so taking one out of turn reorders no key's records.
    const at = now();
    const lateOne = queue.findIndex((w) => w.settleBy !== undefined && w.settleBy <= at);
    if (lateOne >= 0) return queue.splice(lateOne, 1);
    const batch: Waiting[] = [];
    let count = 0;
    let bytes = 0;
    // In turn: one that goes alone ends the batch before it (it goes next), never skipped over,
    // or the batches behind could hold it past its settle-by time.
    if (queue[0]?.alone) return queue.splice(0, 1);
    while (queue.length > 0) {
      const next = queue[0]!;
      const full =
        count + next.records.length > options.maxRecords || bytes + next.bytes > maxBytes;
      if (next.alone || (batch.length > 0 && full)) break;
      batch.push(next);
      count += next.records.length;
      bytes += next.bytes;
      queue.shift();
    }
    return batch;
  }

  /** The earliest settle-by time of the batch's callers, if any has one. */
  function settleByOf(batch: readonly Waiting[]): number | undefined {
    const times = batch.flatMap((w) => (w.settleBy === undefined ? [] : [w.settleBy]));
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /**
   * Whether a failed request may have failed for one caller's records only. A broker's answer
   * may (it answers per topic and partition), and so may a request out of time (each caller has
   * a time of its own). No broker reached, or a producer closed, is every caller's trouble:
   * sent again one by one, each would wait out the same connect timeout in turn, every lane of
   * the worker behind them, and the last would fail as out of time rather than for the outage.
   */
  function mayBeOneCallersTrouble(error: unknown): boolean {
    if (!(error instanceof KafkaProduceError)) return true;
    return error.fromBroker || !error.retriable || TIME_CODES.has(error.code);
  }

  /** Sends the batch's records in one request; resolves with its error, if any, once told. */
  async function sendBatch(batch: Waiting[]): Promise<unknown> {
    try {
      const settleBy = settleByOf(batch);
      await options.producer.send(
        batch.flatMap((w) => w.records),
        settleBy === undefined ? {} : { settleBy },
      );
      for (const w of batch) w.resolve();
      return undefined;
    } catch (error) {
      // One caller's trouble (a record too large, a topic that refuses writes) must not fail the
      // others, for good or for a backoff: when several callers shared the request, each is sent
      // alone so that only the guilty one sees the error. Records of the failed request that Kafka
      // did store are stored twice: a duplicate with the same commitlog-id, never a loss. Once a
      // request reaches no broker, the callers still waiting share that fate.
      let shared = error;
      let rest = batch;
      if (batch.length > 1 && mayBeOneCallersTrouble(error)) {
        rest = [];
        for (const [i, w] of batch.entries()) {
          const alone = await sendBatch([w]);
          if (alone === undefined || mayBeOneCallersTrouble(alone)) continue;
          shared = alone;
          rest = batch.slice(i + 1);
          break;
        }
      }
      for (const w of rest) w.reject(shared);
      return error;
    }
  }

  async function pump(): Promise<void> {
    while (queue.length > 0) await sendBatch(take());
    running = undefined;
  }

  return {
    send(records, settleBy, sendOptions = {}) {
      return new Promise<void>((resolve, reject) => {
        const alone = sendOptions.alone ?? false;
        queue.push({ records, alone, bytes: weight(records), settleBy, resolve, reject });
        running ??= pump();
      });
    },
    async drain() {
      while (running) await running;
      queue = [];
    },
  };
}
