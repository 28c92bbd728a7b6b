import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The manifest whose `version` is the commitlog release every role reports: the repository's
 * root package.json. One image carries every role (Dockerfile) and UPGRADING.md speaks of one
 * release, so one field says which release a process runs; the roles' own package.json versions
 * would be three fields to bump together, and free to drift apart. The hook's `vsn` (its
 * User-Agent) is bumped with it.
 */
export const RELEASE_MANIFEST = fileURLToPath(new URL('../../../package.json', import.meta.url));

/** What a process reports when its manifest gives no release version it can read. */
export const UNKNOWN_VERSION = 'unknown';

/**
 * A release version as a bounded label value: `x.y.z`, with an optional pre-release or build
 * suffix. The hook's User-Agent names its version by the same rule (the ingest's
 * `hookVersionOf`), so that the two metrics can be compared.
 */
export const RELEASE_VERSION_PATTERN =
  '\\d{1,4}\\.\\d{1,4}\\.\\d{1,4}(?:[-+][0-9A-Za-z.+-]{1,40})?';
const RELEASE_VERSION = new RegExp(`^${RELEASE_VERSION_PATTERN}$`);

const manifestSchema = z.object({ version: z.string().regex(RELEASE_VERSION) });

/**
 * The commitlog release this process runs, read from `RELEASE_MANIFEST`, or `UNKNOWN_VERSION`
 * when that has none (or cannot be read): a label is not worth stopping a role for, and a test
 * holds the manifest to a version.
 */
export function readBuildVersion(
  deps: { manifest?: string; readFile?: (file: string) => string } = {},
): string {
  const readFile = deps.readFile ?? ((file: string) => readFileSync(file, 'utf8'));
  try {
    const parsed = manifestSchema.safeParse(
      JSON.parse(readFile(deps.manifest ?? RELEASE_MANIFEST)),
    );
    return parsed.success ? parsed.data.version : UNKNOWN_VERSION;
  } catch {
    return UNKNOWN_VERSION;
  }
}
