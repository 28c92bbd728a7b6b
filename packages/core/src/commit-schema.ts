import { z } from 'zod';
import { isCanonicalBase64, type RiakBinary } from './riak-binary.ts';
import { isoTimestampMicros } from './iso-timestamp.ts';

// The JSON the Riak hook posts (DESIGN.md, "Ingest HTTP API, v1"). Every object is strict: an
// unknown field is an error, not something to drop silently, because a field we do not know may
// be data we would otherwise lose.

/** Text that UTF-8 can hold: no lone surrogates (JSON can spell them, UTF-8 cannot). */
const wellFormed = (schema: z.ZodString) =>
  schema.refine((s) => s.isWellFormed(), {
    error: 'is not well-formed Unicode (it holds a lone surrogate)',
  });

/** Canonical base64 (padded, standard alphabet, nothing after the data): exact bytes, one form. */
export const base64Schema = z.string().refine(isCanonicalBase64, { error: 'not valid base64' });

const BINARY_FORMS = 'expected a non-empty string or {"base64": "..."}';

/**
 * A Riak binary: a non-empty string (its UTF-8 bytes) or `{"base64": "..."}` with canonical
 * base64 of at least one byte. Riak refuses empty bucket types, buckets and keys.
 */
export const riakBinarySchema: z.ZodType<RiakBinary> = z.union(
  [
    wellFormed(z.string().min(1, { error: 'must not be empty' })),
    z.strictObject({
      base64: base64Schema.refine((s) => s !== '', { error: 'must not be empty' }),
    }),
  ],
  { error: BINARY_FORMS },
);

/**
 * A text field of Riak metadata (a content type, a vtag, a usermeta value, an index value): a
 * string (its UTF-8 bytes), or `{"base64": "..."}` for bytes that are not UTF-8, so that they
 * arrive exactly, never as text that merely looks like base64. Empty is allowed.
 */
export const metadataTextSchema: z.ZodType<RiakBinary> = z.union(
  [wellFormed(z.string()), z.strictObject({ base64: base64Schema })],
  { error: 'expected a string or {"base64": "..."}' },
);

const PROTO = '__proto__';

/**
 * A JSON object used as a map. Riak takes any usermeta name, `__proto__` too, and a commit Riak
 * took must be deliverable. JSON.parse makes `__proto__` an own key, but zod's records drop it
 * without a word (they assign, which a plain object takes as setting its prototype): that entry
 * is checked apart and put back as an own property, which JSON.stringify writes as it came.
 */
function mapOf<T extends z.ZodType>(value: T) {
  // Names are checked like every other text: UTF-8 cannot hold a lone surrogate, and two names
  // that differ only there would encode alike (the commit id would not tell them apart).
  const record = z.record(wellFormed(z.string()), value);
  return z.unknown().transform((input, ctx): Record<string, z.output<T>> => {
    const hasProto = typeof input === 'object' && input !== null && Object.hasOwn(input, PROTO);
    const { [PROTO]: protoValue, ...rest } = hasProto ? (input as Record<string, unknown>) : {};
    const parsed = record.safeParse(hasProto ? rest : input);
    const proto = hasProto ? value.safeParse(protoValue) : undefined;
    // Passed on as they came (their codes shape the error's text, validation-error.ts).
    const passOn = (issue: z.core.$ZodIssue, path: PropertyKey[]) =>
      ctx.issues.push({ ...issue, path } as z.core.$ZodRawIssue);
    for (const issue of parsed.error?.issues ?? []) passOn(issue, issue.path);
    for (const issue of proto?.error?.issues ?? []) passOn(issue, [PROTO, ...issue.path]);
    if (!parsed.success || (proto !== undefined && !proto.success)) return z.NEVER;
    if (proto === undefined) return parsed.data;
    // In the order posted, which the record's header keeps (record-mapping.ts).
    const map: Record<string, z.output<T>> = {};
    for (const name of Object.keys(input as object)) {
      const entry = name === PROTO ? proto.data : (parsed.data as Record<string, unknown>)[name];
      Object.defineProperty(map, name, {
        value: entry,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return map;
  });
}

// Riak's integer indexes are integers of any size; JSON numbers past 2^53 lose digits on parse,
// so those must travel as strings (the hook's job) and are refused here rather than altered. A
// number JSON.parse rounded to a whole safe integer (1.0000000000000001) looks whole here: the
// ingest refuses it from the text first (`jsonParseLoss`).
const INDEX_VALUE =
  'expected a string, {"base64": "..."} or an integer within ±(2^53-1) (send larger ones as strings)';
const indexValueSchema = z.union(
  [
    wellFormed(z.string()),
    z.strictObject({ base64: base64Schema }),
    z.number().int({ error: INDEX_VALUE }),
  ],
  { error: INDEX_VALUE },
);

/** One sibling: a value Riak keeps for the key, with its metadata. */
export const siblingSchema = z.strictObject({
  /** Base64 of the value's exact bytes; `""` for an empty value. */
  value: base64Schema,
  contentType: metadataTextSchema.optional(),
  /**
   * Riak's `content-encoding` of the value (e.g. `gzip`): the value's bytes are as stored, so a
   * consumer must know to decode them.
   */
  contentEncoding: metadataTextSchema.optional(),
  vtag: metadataTextSchema.optional(),
  /** ISO-8601 with up to microseconds, e.g. `2026-11-24T12:00:00.123456Z`. */
  lastModified: z
    .string()
    .refine((s) => isoTimestampMicros(s) !== undefined, {
      error: 'expected an ISO-8601 time such as 2026-11-24T12:00:00.123456Z',
    })
    .optional(),
  usermeta: mapOf(metadataTextSchema).optional(),
  indexes: mapOf(z.array(indexValueSchema)).optional(),
  /**
   * `true` when this sibling is a tombstone (its Riak metadata has `X-Riak-Deleted`): a delete
   * that raced a write under `allow_mult` leaves one beside the live siblings of a put. Absent for
   * a live sibling; `false` and every other value are refused, so that the flag has one spelling
   * and a sibling without it is plainly alive. The hook sends it on a put's siblings only: a
   * delete (every sibling a tombstone) already says so by its `op`.
   */
  deleted: z
    .literal(true, {
      error: 'must be true when present (omit it for a sibling that is not a tombstone)',
    })
    .optional(),
});

/** Which Riak key a commit is about; `bucketType` defaults to `"default"`. */
const keyAddressShape = {
  bucketType: riakBinarySchema.default('default'),
  bucket: riakBinarySchema,
  key: riakBinarySchema,
};

/** A key's address alone, in a commit's forms (`lanes --key` reads it). */
export const keyAddressSchema = z.strictObject(keyAddressShape);

/** One commit. `bucketType` defaults to `"default"`, `siblings` to `[]`. */
export const commitSchema = z
  .strictObject({
    ...keyAddressShape,
    op: z.enum(['put', 'delete'], { error: 'must be "put" or "delete"' }),
    /** Base64 of Riak's vector clock for this version; non-empty: it is what makes the id. */
    vclock: base64Schema.refine((s) => s !== '', { error: 'must not be empty' }).optional(),
    siblings: z.array(siblingSchema).default(() => []),
  })
  .check((ctx) => {
    if (ctx.value.op === 'put' && ctx.value.siblings.length === 0) {
      ctx.issues.push({
        code: 'custom',
        message: 'a put needs at least one sibling',
        path: ['siblings'],
        input: ctx.value,
      });
    }
  });

/** Most commits one batch request may carry. */
export const MAX_BATCH_COMMITS = 1000;

/** The body of `POST /v1/commits/batch`. */
export const batchSchema = z.strictObject({
  commits: z
    .array(commitSchema)
    .min(1, { error: 'must hold at least one commit' })
    .max(MAX_BATCH_COMMITS, { error: `must hold at most ${MAX_BATCH_COMMITS} commits` }),
});

/** A commit as parsed: `bucketType` always present, `siblings` always an array. */
export type Commit = z.infer<typeof commitSchema>;
/** One sibling of a commit. */
export type Sibling = z.infer<typeof siblingSchema>;
/** A key's address: bucket type (always present once parsed), bucket and key. */
export type KeyAddress = z.infer<typeof keyAddressSchema>;
/** What a commit does to its key. */
export type CommitOp = Commit['op'];
