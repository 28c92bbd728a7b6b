import { signRequest, SIGNATURE_HEADER } from '@commitlog/core';
import { CliError } from './cli-error.ts';
import { IngestUnreachableError, networkReason } from './ingest-unreachable-error.ts';

const UNTRUSTED =
  "the ingest's certificate is not trusted here: give the CA that signed it (a PEM file) in NODE_EXTRA_CA_CERTS";

/**
 * Why the TLS connection to an https INGEST_URL failed, by Node's code, and what to do: the
 * certificate is checked always (NODE_TLS_REJECT_UNAUTHORIZED=0 is refused).
 */
const TLS_REFUSALS: Partial<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED,
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED,
  DEPTH_ZERO_SELF_SIGNED_CERT: UNTRUSTED,
  CERT_UNTRUSTED: UNTRUSTED,
  CERT_SIGNATURE_FAILURE: UNTRUSTED,
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the ingest's certificate is not for INGEST_URL's host: use a name or address the certificate holds",
  CERT_HAS_EXPIRED:
    "the ingest's certificate has expired (or this machine's clock is wrong); the ingest takes a renewed one from its files within a minute",
  CERT_NOT_YET_VALID:
    "the ingest's certificate is not valid yet (or this machine's clock is wrong)",
  ERR_SSL_WRONG_VERSION_NUMBER:
    'the ingest does not speak TLS on that port: use http:// unless it has INGEST_TLS_CERT_FILE',
};

/** One answer of the ingest, parsed. */
export interface IngestAnswer {
  status: number;
  /** The JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** Seconds from `Retry-After`, when the ingest sent one. */
  retryAfterSeconds: number | undefined;
}

/**
 * Posts a body to the ingest, signed the way the Riak hook signs it.
 *
 * @throws IngestUnreachableError when no answer came (refused, unknown host, timed out), with the
 *   underlying reason in its message rather than fetch's bare `fetch failed`
 * @throws CliError `INGEST_TLS_REFUSED` when an https INGEST_URL's certificate is not trusted (its
 *   CA is given in NODE_EXTRA_CA_CERTS), not for its host, or out of date, or the port is not TLS
 */
export async function postSigned(options: {
  url: string;
  secret: string;
  body: Uint8Array;
  now?: () => number;
  /** Give up on an answer after this many milliseconds (a hung ingest). Default 30000. */
  timeoutMs?: number;
}): Promise<IngestAnswer> {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const signature = signRequest(options.secret, options.body, now() / 1000);
  let response: Response;
  try {
    response = await fetch(options.url, {
      signal: AbortSignal.timeout(timeoutMs),
      method: 'POST',
      // A redirect is answered as it is: followed, a POST becomes a GET to wherever it points.
      redirect: 'manual',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
      body: options.body,
    });
  } catch (error) {
    // Only a network failure or a timeout may pass with time (retriable); fetch's own TypeError
    // for a request it cannot even build does not.
    const network =
      (error instanceof Error && error.name === 'TimeoutError') ||
      (error instanceof TypeError && error.message === 'fetch failed');
    if (!network) {
      // Not the client's message: it may hold the URL, credentials and all.
      throw new CliError(
        'BAD_INGEST_URL',
        'INGEST_URL: fetch cannot send a request to it',
        1,
        error,
      );
    }
    const reason = networkReason(error, timeoutMs);
    const refusal = TLS_REFUSALS[reason];
    if (refusal !== undefined) {
      // Not retriable: trying again meets the same certificate (or the same plain-HTTP port).
      throw new CliError(
        'INGEST_TLS_REFUSED',
        `cannot reach ${options.url}: ${reason}: ${refusal}`,
        1,
        error,
      );
    }
    throw new IngestUnreachableError(options.url, reason, error);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    // The answer began and was cut off (the ingest killed, a connection reset, the time-out):
    // what was posted may or may not be stored, and a retry is answered as a duplicate if it is.
    const reason = `its answer (${response.status}) was cut off: ${networkReason(error, timeoutMs)}`;
    throw new IngestUnreachableError(options.url, reason, error);
  }
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Keep the text: an answer that is not JSON is shown as it came.
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return {
    status: response.status,
    body,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  };
}
