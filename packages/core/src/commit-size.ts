import type { Commit } from './commit-schema.ts';
import { CommitlogError } from './errors.ts';
import type { KafkaRecord } from './kafka-record.ts';
import { toKafkaRecord } from './record-mapping.ts';
import { routeFor, type RouteRule } from './topic-routing.ts';

/**
 * A commit whose Kafka record would be heavier than the configured maximum (`MAX_COMMIT_BYTES`,
 * which is never above what the Kafka topic accepts). The ingest answers 413; no retry can fix it.
 */
export class CommitTooLargeError extends CommitlogError {
  /** The commit's place in the request: `""` for a single commit, `commits[i]` in a batch. */
  readonly path: string;
  /** The size of the commit's record as `commitSize` counts it. */
  readonly bytes: number;
  /** The maximum it is over. */
  readonly limit: number;

  constructor(bytes: number, limit: number, path = '') {
    const reason = `commit of ${bytes} bytes (as a Kafka record) is over the limit of ${limit} bytes`;
    super('COMMIT_TOO_LARGE', path === '' ? reason : `${path}: ${reason}`, {
      retriable: false,
    });
    this.path = path;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** Kafka's default `max.message.bytes`: the most bytes of one record batch a topic takes. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * What `recordSize` leaves out, counted generously: a batch's 61-byte header, at most 36 bytes of
 * lengths and deltas for the record and 10 for each of its ten headers, 197 in all. Counted for
 * every record, it covers a batch of many too.
 */
export const RECORD_FRAMING_BYTES = 200;

/** Room for JSON around a commit's base64 (field names, metadata, indexes), bytes. */
const JSON_OVERHEAD_BYTES = 64 * 1024;

/**
 * The body limit of `POST /v1/commits`: a commit of `maxCommitBytes` travels as base64 (4/3 as
 * many bytes) inside some JSON. Bigger bodies are refused before they are read; a batch's limit
 * must be at least this, or a batch could not carry one commit of the largest size.
 */
export function singleCommitBodyLimit(maxCommitBytes: number): number {
  return Math.ceil((maxCommitBytes * 4) / 3) + JSON_OVERHEAD_BYTES;
}

/** What a record weighs on Kafka, before the protocol's few bytes of framing: key, value, headers. */
export function recordSize(record: KafkaRecord): number {
  let bytes = record.key.byteLength + (record.value?.byteLength ?? 0);
  for (const [name, value] of Object.entries(record.headers)) {
    bytes +=
      Buffer.byteLength(name) +
      (typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength);
  }
  return bytes;
}

/** Stand-ins of the exact lengths the ingest will use: a 64-hex-digit id, an ISO time. */
const META_OF_THE_SAME_SIZE = { id: '0'.repeat(64), receivedAt: '2026-01-01T00:00:00.000Z' };

/**
 * The size of the Kafka record a commit maps to under `routes`: its key, its value (a sibling's
 * bytes, or the JSON envelope, base64 and all, when there are several siblings or the route asks
 * for it) and every header. This is what the topic's `max.message.bytes` is compared with.
 */
export function commitSize(commit: Commit, routes: readonly RouteRule[] = []): number {
  return recordSize(toKafkaRecord(commit, META_OF_THE_SAME_SIZE, routeFor(commit, routes)));
}

/** Throws CommitTooLargeError when `commitSize(commit, routes)` is over `maxBytes`. */
export function assertCommitSize(
  commit: Commit,
  maxBytes: number,
  path = '',
  routes: readonly RouteRule[] = [],
): void {
  const bytes = commitSize(commit, routes);
  if (bytes > maxBytes) throw new CommitTooLargeError(bytes, maxBytes, path);
}
