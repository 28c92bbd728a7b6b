import { ConfigError, readCaFile, type ConfigProblem } from '@commitlog/runtime';
import { configuredSecrets, keptSecret } from './local-secret.ts';

/** Where `post` and `requeue` send commits, and what they sign them with. */
export interface IngestTarget {
  /** INGEST_URL without a trailing slash; default `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The first of INGEST_SECRETS, or the local one kept in `.data/ingest-secret`. */
  secret: string;
}

const DEFAULT_INGEST_URL = 'http://127.0.0.1:8080';
const EXAMPLE = 'such as http://127.0.0.1:8080 or https://ingest.example.com';

/**
 * INGEST_URL's value for a message; not repeated when it may hold a password (`user:pw@`) or a
 * token (a query such as `?code=…`, a fragment).
 */
function got(value: string): string {
  if (value.includes('@')) return ' (the value is not shown: it may hold a password)';
  if (/[?#]/.test(value)) return ' (the value is not shown: its query may hold a token)';
  return ` (got ${JSON.stringify(value)})`;
}

/**
 * The ingest's base URL from INGEST_URL (unset or blank: the local one), or what is wrong with it.
 * Checked here because fetch's own message (`Failed to parse URL from notaurl/v1/commits`) names
 * neither the variable nor the rule.
 */
export function readIngestUrl(
  value: string | undefined,
): { ok: true; url: string } | { ok: false; problem: string } {
  const text = value?.trim() || DEFAULT_INGEST_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, problem: `must be an http:// or https:// URL ${EXAMPLE}${got(text)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, problem: `must start with http:// or https://${got(text)}` };
  }
  if (url.username !== '' || url.password !== '') {
    // fetch refuses such a URL, and its error repeats it, password and all. The ingest takes no
    // URL credentials anyway: requests are signed with INGEST_SECRETS.
    return {
      ok: false,
      problem: `must not hold a user or password (requests are signed with INGEST_SECRETS)${got(text)}`,
    };
  }
  if (url.search !== '' || url.hash !== '') {
    // The CLI appends /v1/commits, which would land inside the query or the fragment.
    return { ok: false, problem: `must not have a query or a fragment${got(text)}` };
  }
  return { ok: true, url: text.replace(/\/+$/, '') };
}

/**
 * Reads INGEST_URL and INGEST_SECRETS (and, for an https INGEST_URL, checks the CA file of
 * NODE_EXTRA_CA_CERTS, which Node trusts beside its own list), and only when all are good falls
 * back to (and perhaps creates) the local secret, so that bad configuration leaves nothing written.
 *
 * @throws ConfigError naming every bad variable, as the services' configuration does
 */
export function readIngestTarget(repoRoot: string, env: NodeJS.ProcessEnv): IngestTarget {
  const url = readIngestUrl(env.INGEST_URL);
  const problems: ConfigProblem[] = url.ok
    ? []
    : [{ variable: 'INGEST_URL', message: url.problem }];
  let secrets: string[] | undefined;
  try {
    secrets = configuredSecrets(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  // As the roles refuse it (role-env.ts): Node's fetch would then accept any certificate for an
  // https INGEST_URL, handing the commits' values to whoever answers, with one warning on stderr.
  if (env.NODE_TLS_REJECT_UNAUTHORIZED?.trim() === '0') {
    problems.push({
      variable: 'NODE_TLS_REJECT_UNAUTHORIZED',
      message:
        "must not be 0: it turns off the check of INGEST_URL's certificate, and the commits sent there carry their values; unset it",
    });
  }
  // Node reads NODE_EXTRA_CA_CERTS as it starts, and one it cannot use is only a warning on
  // stderr: the ingest's certificate would then be refused as untrusted, with no word of the file.
  const extraCa = env.NODE_EXTRA_CA_CERTS?.trim();
  if (url.ok && new URL(url.url).protocol === 'https:' && extraCa) {
    readCaFile('NODE_EXTRA_CA_CERTS', extraCa, {}, problems);
  }
  if (url.ok && secrets === undefined && !isLoopback(url.url)) {
    // The local secret signs for a local `up` only: against another ingest it would be refused
    // as SIGNATURE_INVALID, which would not say that INGEST_SECRETS was missing.
    problems.push({
      variable: 'INGEST_SECRETS',
      message:
        'must be set when INGEST_URL is not on this machine: the local secret (.data/ingest-secret) ' +
        'only signs for a local `commitlog up`',
    });
  }
  if (problems.length > 0 || !url.ok) throw new ConfigError(problems);
  return {
    baseUrl: url.url,
    secret: secrets?.[0] ?? keptSecret(repoRoot, 'ingest-secret', 'INGEST_SECRETS'),
  };
}

/** Whether a URL's host is this machine: `localhost`, 127.0.0.0/8 or `[::1]`. */
function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
