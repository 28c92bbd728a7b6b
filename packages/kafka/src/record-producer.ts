import type { KafkaRecord } from '@commitlog/core';

/**
 * What the worker needs from Kafka. Implementations must keep one produce request in flight at a
 * time, keep the order of records within a call, and resolve only after every record was
 * acknowledged by all in-sync replicas.
 */
export interface RecordProducer {
  /**
   * Sends the records as one produce request (per broker) and resolves when all are acknowledged.
   * Rejects with a `KafkaProduceError` whose `retriable` says whether trying again can succeed.
   */
  send(records: readonly KafkaRecord[]): Promise<void>;
  /** Whether the producer holds a live connection to the cluster now (for readiness). */
  isConnected(): boolean;
  /** Waits for queued sends, then disconnects. */
  close(): Promise<void>;
}
