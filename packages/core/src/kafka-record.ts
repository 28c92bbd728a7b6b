/**
 * One record as commitlog hands it to Kafka: the shape the record mapping produces and every
 * producer implementation accepts. Bytes stay bytes: keys and values are never re-encoded.
 */
export interface KafkaRecord {
  topic: string;
  /** The Riak key's exact bytes; Kafka partitions by it, which keeps per-key order. */
  key: Uint8Array;
  /** The value's exact bytes, or null for a tombstone (a Riak delete). */
  value: Uint8Array | null;
  headers: Record<string, string | Uint8Array>;
}
