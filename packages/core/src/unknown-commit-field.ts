import type { z } from 'zod';
import type { commitSchema, siblingSchema } from './commit-schema.ts';

type Form = 'binary' | 'map' | 'other';

/**
 * The fields this version's record mapping knows: those of the schemas the ingest checks
 * commits against (strict: an ingest stores no field its schema lacks). A newer ingest that
 * takes a new field stores it in its jobs; a worker of an older version would map the commit
 * without it, and Kafka would get a record that leaves out what Riak committed (a value's
 * `contentEncoding` once: gzip bytes with nothing saying so).
 *
 * Each field of the schemas, by its form: a `binary` may be `{"base64": ...}`, whose keys are
 * checked; a `map`'s values are binaries or lists of them. The types hold these to the schemas:
 * a field added there is a compile error here until its form is given.
 */
const COMMIT_FORMS = {
  bucketType: 'binary',
  bucket: 'binary',
  key: 'binary',
  op: 'other',
  vclock: 'other',
  siblings: 'other',
} as const satisfies Record<keyof z.input<typeof commitSchema>, Form>;
const SIBLING_FORMS = {
  value: 'other',
  contentType: 'binary',
  contentEncoding: 'binary',
  vtag: 'binary',
  lastModified: 'other',
  usermeta: 'map',
  indexes: 'map',
  deleted: 'other',
} as const satisfies Record<keyof z.input<typeof siblingSchema>, Form>;

const COMMIT_FIELDS: ReadonlySet<string> = new Set(Object.keys(COMMIT_FORMS));
const SIBLING_FIELDS: ReadonlySet<string> = new Set(Object.keys(SIBLING_FORMS));
/** A Riak binary or metadata text sent as bytes: `{"base64": "..."}` and nothing else. */
const BINARY_FIELDS: ReadonlySet<string> = new Set(['base64']);

const fieldsOf = <T extends Record<string, Form>>(forms: T, form: Form) =>
  Object.keys(forms).filter((name) => forms[name] === form);
const COMMIT_BINARIES = fieldsOf(COMMIT_FORMS, 'binary');
const SIBLING_BINARIES = fieldsOf(SIBLING_FORMS, 'binary');
const SIBLING_MAPS = fieldsOf(SIBLING_FORMS, 'map');

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
  for (const field of SIBLING_BINARIES) {
    const name = unknownKey(sibling[field], BINARY_FIELDS);
    if (name !== undefined) return `${path}.${field}.${name}`;
  }
  for (const field of SIBLING_MAPS) {
    const found = unknownInMap(sibling[field], `${path}.${field}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The path of the first field of a stored commit that this version's schema does not know
 * (`siblings[0].contentEncoding`), or undefined when it knows them all. A map's entry names (a
 * usermeta name) are left out of the path as `*`: they are the commit's data. Only names are
 * checked, never values: a value this version refuses was refused by an ingest of this version.
 * A later version that takes a new form of value for a known field (not a new name) must store
 * a new field with it too, such as a job format number (`unknownJobField`), so that workers of
 * this version hold its jobs rather than map them wrongly.
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
