import type { KafkaRecord } from '@commitlog/core';

export interface SendOptions {
  /**
   * The time, on this process's deadline clock (`deadlineClock` of `@commitlog/core`: epoch-like
   * ms that a step of the wall clock back does not move), after which the records must no longer reach
   * Kafka from this send (the worker's
   * lock on their lane ends then, and another worker may deliver them and newer versions). A
   * send whose turn comes later is not started; one still unacknowledged then is abandoned: its
   * client is closed, which stops the client's own retries, and a fresh one takes the next
   * sends. Both reject with a retriable `KafkaProduceError` (`SEND_TOO_LATE`, `SEND_ABANDONED`).
   * Records already written to a socket may still arrive; see the README's Reliability, "What it does not cover".
   */
  settleBy?: number;
}

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
  send(records: readonly KafkaRecord[], options?: SendOptions): Promise<void>;
  /** Whether the producer holds a live connection to the cluster now (for readiness). */
  isConnected(): boolean;
  /**
   * Connects when not connected, and resolves whether it is connected then (never rejects).
   * Readiness calls it until Kafka was first reached: an idle worker sends nothing that would.
   */
  reach(): Promise<boolean>;
  /** Waits for queued sends, then disconnects. */
  close(): Promise<void>;
}
