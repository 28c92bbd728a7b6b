import type { Commit, Sibling } from './commit-schema.ts';
import { LengthPrefixedWriter } from './length-prefixed.ts';

/**
 * The id of a commit: 64 lowercase hex characters, the whole SHA-256 of the commit's identifying
 * bytes. The same commit posted twice (a hook retrying) has the same id, so the second post is a
 * duplicate, not a second delivery. Bucket type, bucket and key count by their bytes, so the
 * string and `{base64}` forms of the same binary give the same id.
 *
 * Derivation (v2). `F(x)` is a field: the 4-byte big-endian length of `x`, then `x`'s bytes;
 * strings are UTF-8; binaries, metadata texts in their `{base64}` form and base64 fields are
 * their decoded bytes (so a metadata text counts by its bytes, whichever form it came in).
 *
 *     with a vclock:
 *       SHA-256( F("commitlog.commit-id.v2") F("vclock")
 *                F(bucketType) F(bucket) F(key) F(op) F(vclock) U32(#siblings) SIB(1) ... SIB(n)
 *                TOMBS ENC )
 *     without one (the whole commit, canonically; as in v1):
 *       SHA-256( F("commitlog.commit-id.v1") F("body")
 *                F(bucketType) F(bucket) F(key) F(op) U32(#siblings) SIB(1) ... SIB(n) TOMBS ENC )
 *
 *     SIB  = F(value) OPT(contentType) OPT(vtag) OPT(lastModified) MAP(usermeta) IDX(indexes)
 *     OPT  = the byte 0x00 when absent, else 0x01 F(text)
 *     MAP  = U32(#entries), then per entry, in ascending byte order of the UTF-8 names:
 *            F(name) F(value)                       (absent and {} are the same)
 *     IDX  = U32(#indexes), then per index, in ascending byte order of the UTF-8 names:
 *            F(name) U32(#values), then per value, in order:
 *            "s" F(text) for a string, "i" F(decimal digits, "-" if negative) for an integer
 *     TOMBS = nothing when no sibling has `deleted`; else
 *            F("deleted") U32(#tombstones), then the 0-based position of each, ascending, as U32
 *     ENC  = nothing when no sibling has `contentEncoding`; else F("content-encoding")
 *            U32(#siblings with one), then per such sibling, ascending: U32(position) F(text)
 *     U32  = a 4-byte big-endian unsigned integer; op is "put" or "delete".
 *
 * Why v2 hashes the siblings beside the vclock: a vclock does not always name one version. In a
 * `last_write_wins` bucket a write without a fetched vclock (a blind put) gets a fresh clock of
 * the coordinating vnode and the time in whole seconds, so two different writes to one key in
 * the same second can carry the same vclock; by vclock alone (v1) the second had the first's id
 * and was answered as a duplicate, never delivered. A retry posts the same JSON, so it still gets
 * the same id. Ids of commits with a vclock changed from v1 to v2 (see README, "Upgrading").
 *
 * Why `deleted` (a tombstone sibling of a put) counts, and only as a trailing TOMBS: ids are how
 * the ingest tells a retry from a new commit, and a wrong "duplicate" is a commit never delivered.
 * From the hook, leaving the flag out would be safe: Riak's put FSM stamps every write, a delete's
 * tombstone included, with its own vtag and last-modified, so a tombstone sibling never hashes
 * like a live one. But both fields are optional in the schema and a commit without a vclock is
 * identified by its whole body: `{value: ""}` and `{value: "", deleted: true}` posted by another
 * client would share an id, and the second would be dropped as a duplicate. TOMBS is empty when no
 * sibling has the flag, so the id of every commit without it is exactly what it was; the prefix
 * before it is length-prefixed with a known count of siblings, so nothing else can end there.
 *
 * `contentEncoding` (added later) counts the same way, as a trailing ENC after TOMBS: the ids of
 * commits without it stay what they were. It must count: a commit without a vclock is identified
 * by its whole body, and two that differ only in it are two commits.
 *
 * `lastModified` and the other texts count as given (not normalised). Siblings count in order.
 */
export function commitId(commit: Commit): string {
  const input = new LengthPrefixedWriter()
    .field(commit.vclock === undefined ? 'commitlog.commit-id.v1' : 'commitlog.commit-id.v2')
    .field(commit.vclock === undefined ? 'body' : 'vclock')
    .binary(commit.bucketType)
    .binary(commit.bucket)
    .binary(commit.key)
    .field(commit.op);
  if (commit.vclock !== undefined) input.base64Field(commit.vclock);
  input.u32(commit.siblings.length);
  for (const sibling of commit.siblings) writeSibling(input, sibling);
  writeTombstones(input, commit.siblings);
  writeEncodings(input, commit.siblings);
  return input.sha256().toString('hex');
}

/** TOMBS: absent unless a sibling is a tombstone, so ids from before the field stay the same. */
function writeTombstones(input: LengthPrefixedWriter, siblings: readonly Sibling[]): void {
  const positions = siblings.flatMap((s, i) => (s.deleted === true ? [i] : []));
  if (positions.length === 0) return;
  input.field('deleted').u32(positions.length);
  for (const position of positions) input.u32(position);
}

/** ENC: absent unless a sibling has a content encoding, so ids from before the field stay. */
function writeEncodings(input: LengthPrefixedWriter, siblings: readonly Sibling[]): void {
  const encoded = siblings.flatMap((s, i) =>
    s.contentEncoding === undefined ? [] : [{ position: i, text: s.contentEncoding }],
  );
  if (encoded.length === 0) return;
  input.field('content-encoding').u32(encoded.length);
  for (const { position, text } of encoded) input.u32(position).binary(text);
}

const ABSENT = 0x00;
const PRESENT = 0x01;
const STRING = 0x73; // "s"
const INTEGER = 0x69; // "i"

function writeSibling(input: LengthPrefixedWriter, sibling: Sibling): void {
  input.base64Field(sibling.value);
  for (const text of [sibling.contentType, sibling.vtag, sibling.lastModified]) {
    if (text === undefined) input.byte(ABSENT);
    else input.byte(PRESENT).binary(text);
  }
  const usermeta = sortedEntries(sibling.usermeta ?? {});
  input.u32(usermeta.length);
  for (const [name, value] of usermeta) input.field(name).binary(value);
  const indexes = sortedEntries(sibling.indexes ?? {});
  input.u32(indexes.length);
  for (const [name, values] of indexes) {
    input.field(name).u32(values.length);
    for (const value of values) {
      if (typeof value === 'number') input.byte(INTEGER).field(integerText(value));
      else input.byte(STRING).binary(value);
    }
  }
}

/** A map's entries in ascending byte order of their UTF-8 names (Erlang's order of binaries). */
function sortedEntries<T>(map: Record<string, T>): [string, T][] {
  return Object.entries(map).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Plain decimal digits of a safe integer (never an exponent; `-0` is `0`). */
function integerText(n: number): string {
  return BigInt(n).toString();
}
