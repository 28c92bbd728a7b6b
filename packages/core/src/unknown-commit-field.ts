import { commitSchema, siblingSchema } from './commit-schema.ts';

/**
 * The fields this version's record mapping knows, read from the schemas the ingest checks
 * commits against (strict: an ingest stores no field its schema lacks). A newer ingest that
 * takes a new field stores it in its jobs; a worker of an older version would map the commit
 * without it, and Kafka would get a record that leaves out what Riak committed (a value's
 * `contentEncoding` once: gzip bytes with nothing saying so).
 */
const COMMIT_FIELDS: ReadonlySet<string> = new Set(Object.keys(commitSchema.shape));
const SIBLING_FIELDS: ReadonlySet<string> = new Set(Object.keys(siblingSchema.shape));
/** A Riak binary or metadata text sent as bytes: `{"base64": "..."}` and nothing else. */
const BINARY_FIELDS: ReadonlySet<string> = new Set(['base64']);

const COMMIT_BINARIES = ['bucketType', 'bucket', 'key'] as const;
const SIBLING_TEXTS = ['contentType', 'contentEncoding', 'vtag'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first own key of `value` that `known` lacks, when `value` is an object. */
function unknownKey(value: unknown, known: ReadonlySet<string>): string | undefined {
  if (!isObject(value)) return undefined;
  for (const name of Object.keys(value)) if (!known.has(name)) return name;
  return undefined;
}

/** The first field of a map's values (usermeta, indexes) in a form this version lacks. */
function unknownInMap(map: unknown, path: string): string | undefined {
  if (!isObject(map)) return undefined;
  for (const entry of Object.values(map)) {
    for (const item of Array.isArray(entry) ? entry : [entry]) {
      const name = unknownKey(item, BINARY_FIELDS);
      // The entry's own name is the user's data, not a field of the format: not in the path.
      if (name !== undefined) return `${path}.*.${name}`;
    }
  }
  return undefined;
}

function unknownInSibling(sibling: unknown, path: string): string | undefined {
  const own = unknownKey(sibling, SIBLING_FIELDS);
  if (own !== undefined) return `${path}.${own}`;
  if (!isObject(sibling)) return undefined;
  for (const field of SIBLING_TEXTS) {
    const name = unknownKey(sibling[field], BINARY_FIELDS);
    if (name !== undefined) return `${path}.${field}.${name}`;
  }
  return (
    unknownInMap(sibling.usermeta, `${path}.usermeta`) ??
    unknownInMap(sibling.indexes, `${path}.indexes`)
  );
}

/**
 * The path of the first field of a stored commit that this version's schema does not know
 * (`siblings[0].contentEncoding`), or undefined when it knows them all. A map's entry names (a
 * usermeta name) are left out of the path as `*`: they are the commit's data. Only names are
 * checked, never values: a value this version would refuse was refused by the ingest.
 */
export function unknownCommitField(commit: unknown): string | undefined {
  const own = unknownKey(commit, COMMIT_FIELDS);
  if (own !== undefined) return own;
  if (!isObject(commit)) return undefined;
  for (const field of COMMIT_BINARIES) {
    const name = unknownKey(commit[field], BINARY_FIELDS);
    if (name !== undefined) return `${field}.${name}`;
  }
  const siblings = Array.isArray(commit.siblings) ? commit.siblings : [];
  for (const [i, sibling] of siblings.entries()) {
    const found = unknownInSibling(sibling, `siblings[${i}]`);
    if (found !== undefined) return found;
  }
  return undefined;
}
