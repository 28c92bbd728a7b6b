import type { Commit, Sibling } from './commit-schema.ts';
import { isoTimestampMicros } from './iso-timestamp.ts';
import type { KafkaRecord } from './kafka-record.ts';
import { binaryToBytes, type RiakBinary } from './riak-binary.ts';
import type { Route } from './topic-routing.ts';

/** The content type of a siblings envelope (the `content-type` header of an enveloped record). */
export const ENVELOPE_CONTENT_TYPE = 'application/vnd.commitlog.siblings+json';

/** The `format` field of a siblings envelope. */
export const ENVELOPE_FORMAT = 'commitlog.siblings.v1';

/** What a commit is known by on its way: its id and when the ingest accepted it. */
export interface RecordMeta {
  /** The commit id (`commitId`). */
  id: string;
  /** ISO-8601 time of acceptance, passed through as given. */
  receivedAt: string;
}

const utf8 = new TextEncoder();

/**
 * The Kafka record of a commit (DESIGN.md, "Kafka record").
 *
 * - key: the Riak key's exact bytes.
 * - value: null for a delete (a tombstone); the single sibling's exact bytes for a put with one
 *   sibling that is not a tombstone, on a route without envelope; otherwise the UTF-8 JSON
 *   envelope `{"format": "commitlog.siblings.v1", "siblings": [{value (base64), contentType?,
 *   contentEncoding?, vtag?, lastModified?, usermeta?, indexes?, deleted?}, ...]}` holding every
 *   sibling, in order
 *   (`deleted: true` on a tombstone sibling of a put, absent otherwise).
 * - headers: `riak-op`; `riak-bucket-type` and `riak-bucket` as exact bytes; `riak-vclock`
 *   (base64) when known; `riak-vtag` (several joined with `,`; bytes when one is `{base64}`) and `riak-last-modified` (the
 *   latest) when any sibling has them; `content-type` (the sibling's, or the envelope's; none on a
 *   tombstone); `content-encoding` (the sibling's, when the value is its own bytes and it has
 *   one: the bytes are as stored, gzip for instance, and say so); `riak-usermeta` and `riak-indexes` (JSON, as posted) when the value is the single
 *   sibling's own bytes and it has any, since no envelope carries them then; `riak-siblings` (the
 *   count); `commitlog-id`; `commitlog-received-at`.
 */
export function toKafkaRecord(commit: Commit, meta: RecordMeta, route: Route): KafkaRecord {
  const { siblings } = commit;
  const headers: Record<string, string | Uint8Array> = {
    'riak-op': commit.op,
    'riak-bucket-type': binaryToBytes(commit.bucketType),
    'riak-bucket': binaryToBytes(commit.bucket),
  };
  if (commit.vclock !== undefined) headers['riak-vclock'] = commit.vclock;
  const vtags = siblings.flatMap((s) => (s.vtag === undefined ? [] : [s.vtag]));
  if (vtags.length > 0) headers['riak-vtag'] = joinTexts(vtags);
  const lastModified = latestLastModified(siblings);
  if (lastModified !== undefined) headers['riak-last-modified'] = lastModified;

  let value: Uint8Array | null = null;
  const single = siblings.length === 1 ? siblings[0] : undefined;
  if (commit.op === 'put') {
    // A tombstone sibling alone in a put (Riak itself would call that object deleted; another
    // client may still post it) goes in an envelope even on a route without one: as bare bytes
    // it would be an empty value, which a consumer cannot tell from a real one, and no header
    // carries the flag. A record must say what Riak committed, so the envelope it is.
    if (single !== undefined && single.deleted !== true && !route.envelope) {
      value = binaryToBytes({ base64: single.value });
      if (single.contentType !== undefined)
        headers['content-type'] = headerValue(single.contentType);
      if (single.contentEncoding !== undefined)
        headers['content-encoding'] = headerValue(single.contentEncoding);
      // Part of what Riak committed (user metadata, secondary index entries): without an envelope
      // these headers are the only place they can travel.
      if (hasEntries(single.usermeta)) headers['riak-usermeta'] = JSON.stringify(single.usermeta);
      if (hasEntries(single.indexes)) headers['riak-indexes'] = JSON.stringify(single.indexes);
    } else {
      value = utf8.encode(JSON.stringify(envelope(siblings)));
      headers['content-type'] = ENVELOPE_CONTENT_TYPE;
    }
  }
  headers['riak-siblings'] = String(siblings.length);
  headers['commitlog-id'] = meta.id;
  headers['commitlog-received-at'] = meta.receivedAt;
  return { topic: route.topic, key: binaryToBytes(commit.key), value, headers };
}

/** A metadata text as a header: a string as it is, bytes that are not UTF-8 as those bytes. */
function headerValue(text: RiakBinary): string | Uint8Array {
  return typeof text === 'string' ? text : binaryToBytes(text);
}

/** Texts joined with `,`: a string when every one is, else the bytes of all of them. */
function joinTexts(texts: readonly RiakBinary[]): string | Uint8Array {
  if (texts.every((t) => typeof t === 'string')) return texts.join(',');
  const parts = texts.flatMap((t, i) => (i === 0 ? [binaryToBytes(t)] : [COMMA, binaryToBytes(t)]));
  return Buffer.concat(parts);
}

const COMMA = Uint8Array.of(0x2c);

function hasEntries(map: Readonly<Record<string, unknown>> | undefined): boolean {
  return map !== undefined && Object.keys(map).length > 0;
}

function envelope(siblings: readonly Sibling[]) {
  return {
    format: ENVELOPE_FORMAT,
    // Fields copied one by one, in a fixed order, so the envelope never carries anything else.
    siblings: siblings.map((s) => ({
      value: s.value,
      contentType: s.contentType,
      contentEncoding: s.contentEncoding,
      vtag: s.vtag,
      lastModified: s.lastModified,
      usermeta: s.usermeta,
      indexes: s.indexes,
      deleted: s.deleted,
    })),
  };
}

/** The latest `lastModified` of the siblings, as written; the first of equal ones. */
function latestLastModified(siblings: readonly Sibling[]): string | undefined {
  let latest: string | undefined;
  let latestMicros = -Infinity;
  for (const { lastModified } of siblings) {
    if (lastModified === undefined) continue;
    const micros = isoTimestampMicros(lastModified) ?? -Infinity;
    if (latest === undefined || micros > latestMicros) {
      latest = lastModified;
      latestMicros = micros;
    }
  }
  return latest;
}
