import { deadlineClock, type KafkaRecord } from '@commitlog/core';
import { KafkaProduceError } from './kafka-errors.ts';
import type { RecordProducer, SendOptions } from './record-producer.ts';

/** How long a send waits for the client it gave up to finish closing, ms. */
export const ABANDON_WAIT_MS = 2000;

/** What a Kafka client provides for `serialProducer`. */
export interface ProduceRequest {
  /** Sends one produce request; rejects with a `KafkaProduceError`. */
  sendNow(records: readonly KafkaRecord[]): Promise<void>;
  /**
   * Gives up on the request in flight: closes the client it went out on, which stops its retries
   * and drops its connections, and takes a fresh client for the sends that follow. Never rejects.
   */
  abandon(): Promise<void>;
  isConnected(): boolean;
  /** See `RecordProducer.reach`. */
  reach(): Promise<boolean>;
  disconnect(): Promise<void>;
}

/**
 * The `RecordProducer` contract over any client: one produce request in flight at a time (a
 * retried request can then never overtake a later one, which keeps per-key order), an empty send
 * resolves at once, a send that cannot settle by its `settleBy` is not started or is abandoned,
 * a send with a settle-by time that fails gives its client up as an abandoned one does (the
 * worker's sends all have one; one without keeps its client, whose connection a broker's refusal
 * says is up), and `close` waits for the queued sends before it disconnects.
 */
export function serialProducer(client: ProduceRequest): RecordProducer {
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;

  /**
   * Gives the client up, waiting at most `ABANDON_WAIT_MS` for it to finish closing: its
   * connections are reset at once, and what is left is its own clean-up, which must never hold
   * the lane (a close that waits for a socket event that never comes would hold it for good).
   */
  async function giveUp(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ABANDON_WAIT_MS);
    });
    await Promise.race([client.abandon().catch(() => undefined), waited]);
    clearTimeout(timer);
  }

  async function sendBy(records: readonly KafkaRecord[], settleBy: number): Promise<void> {
    const left = settleBy - deadlineClock.now();
    if (left <= 0) {
      throw new KafkaProduceError(
        'SEND_TOO_LATE',
        'not sent: its settle-by time passed while it waited for its turn',
        { retriable: true },
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<'overrun'>((resolve) => {
      timer = setTimeout(() => resolve('overrun'), left);
    });
    const sending = client.sendNow(records);
    try {
      if ((await Promise.race([sending.then(() => 'sent' as const), overrun])) === 'sent') return;
    } catch (error) {
      // A failed request may still be in the network (a timeout says nothing of what the broker
      // got): its client is given up, so that its bytes cannot land later, after records that a
      // retry or another worker sends meanwhile over other connections.
      await giveUp();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    // Rejects once its client is closed; nobody waits for it any more.
    sending.catch(() => undefined);
    await giveUp();
    throw new KafkaProduceError(
      'SEND_ABANDONED',
      `produce abandoned: not acknowledged within ${left} ms, by its settle-by time`,
      { retriable: true },
    );
  }

  return {
    send(records, options: SendOptions = {}) {
      if (closed) {
        return Promise.reject(
          new KafkaProduceError('PRODUCER_CLOSED', 'the producer is closed', { retriable: true }),
        );
      }
      if (records.length === 0) return Promise.resolve();
      const { settleBy } = options;
      const sent = tail.then(() =>
        settleBy === undefined ? client.sendNow(records) : sendBy(records, settleBy),
      );
      tail = sent.catch(() => undefined);
      return sent;
    },
    isConnected: () => client.isConnected(),
    reach: () => client.reach(),
    async close() {
      closed = true;
      await tail;
      await client.disconnect();
    },
  };
}
