import { signRequest, SIGNATURE_HEADER } from '@commitlog/core';

/** One answer of the ingest, parsed. */
export interface IngestAnswer {
  status: number;
  /** The JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** Seconds from `Retry-After`, when the ingest sent one. */
  retryAfterSeconds: number | undefined;
}

/** Posts a body to the ingest, signed the way the Riak hook signs it. Network errors reject. */
export async function postSigned(options: {
  url: string;
  secret: string;
  body: Uint8Array;
  now?: () => number;
  /** Give up on an answer after this many milliseconds (a hung ingest). Default 30000. */
  timeoutMs?: number;
}): Promise<IngestAnswer> {
  const now = options.now ?? Date.now;
  const response = await fetch(options.url, {
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signRequest(options.secret, options.body, now() / 1000),
    },
    body: options.body,
  });
  const text = await response.text();
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

/** The ingest's base URL from INGEST_URL (default the local one), without a trailing slash. */
export function ingestBaseUrl(env: NodeJS.ProcessEnv): string {
  return (env.INGEST_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
}
