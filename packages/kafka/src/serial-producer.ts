import type { KafkaRecord } from '@commitlog/core';
import { KafkaProduceError } from './kafka-errors.ts';
import type { RecordProducer } from './record-producer.ts';

/** What a Kafka client provides for `serialProducer`. */
export interface ProduceRequest {
  /** Sends one produce request; rejects with a `KafkaProduceError`. */
  sendNow(records: readonly KafkaRecord[]): Promise<void>;
  isConnected(): boolean;
  disconnect(): Promise<void>;
}

/**
 * The `RecordProducer` contract over any client: one produce request in flight at a time (a
 * retried request can then never overtake a later one, which keeps per-key order), an empty send
 * resolves at once, and `close` waits for the queued sends before it disconnects.
 */
export function serialProducer(client: ProduceRequest): RecordProducer {
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    send(records) {
      if (closed) {
        return Promise.reject(
          new KafkaProduceError('PRODUCER_CLOSED', 'the producer is closed', { retriable: true }),
        );
      }
      if (records.length === 0) return Promise.resolve();
      const sent = tail.then(() => client.sendNow(records));
      tail = sent.catch(() => undefined);
      return sent;
    },
    isConnected: () => client.isConnected(),
    async close() {
      closed = true;
      await tail;
      await client.disconnect();
    },
  };
}
