import {
  checkSignatureHeader,
  jsonParseLoss,
  MAX_JSON_DEPTH,
  measureJson,
  SignatureError,
  verifySignedBody,
  type SignatureHeader,
} from '@commitlog/core';
import type { CommitRequest } from './commit-request.ts';
import { errorResponse, type HttpResponse } from './http-response.ts';
import { jsonMediaTypeProblem } from './json-media-type.ts';
import { BodyBudgetSpentError, ingestBusy } from './body-budget.ts';
import { BodyTooLargeError } from './read-raw-body.ts';

export interface SignedJsonOptions {
  /** Largest body accepted, bytes. */
  limit: number;
  /** Signing secrets (two during a rotation). */
  secrets: readonly string[];
  /** How far, seconds, a signature's time may be from the clock. */
  replayWindowS: number;
  /** The clock, epoch milliseconds. */
  now: () => number;
}

/**
 * The parsed JSON of a body whose signature checked out, or the answer that refuses it; `signed`
 * when the refusal came after the signature checked out.
 */
export type SignedJson =
  { ok: true; json: unknown } | { ok: false; response: HttpResponse; signed?: true };

/**
 * What one parsed JSON value is charged to the body budget, bytes. The budget assumes a body
 * costs about four times its size in heap while it is read, parsed and stored; an empty object
 * parsed costs about 56 bytes (measured: 16 MiB of `{},` took 299 MiB of heap).
 */
export const VALUE_BUDGET_BYTES = 16;

// Fatal: JSON is UTF-8 (RFC 8259), and a key with invalid bytes must not quietly become U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The checks every commit POST goes through before its content is looked at, in this order:
 * 415 media type, 413 declared body size, 401 signature header (missing, malformed or out of its
 * time window: before the body is read, so that a client without one cannot hold the body
 * budget; one that forges a well-formed header holds what its body's bytes take until the body
 * is read and refused, the request's time-out at most), 413 body size while reading, 401
 * signature of the exact raw bytes (before parsing), 503 `INGEST_BUSY` when what the body's
 * values would cost parsed does not fit the budget now, 400 `INVALID_JSON` (also for what
 * `JSON.parse` would change without a word: a name given twice in one object, a number that
 * would read as another whole number; with its path). `JSON.parse`
 * makes `__proto__` an own property, never the prototype, and the commit schema refuses unknown
 * fields, so a hostile key cannot reach `Object.prototype`.
 *
 * A client that goes away mid-body rejects with `BodyAbortedError`: there is no one to answer.
 */
export async function readSignedJson(
  request: CommitRequest,
  options: SignedJsonOptions,
): Promise<SignedJson> {
  const mediaProblem = jsonMediaTypeProblem(request.contentType, request.contentEncoding);
  if (mediaProblem !== undefined) {
    return refuse(errorResponse(415, 'UNSUPPORTED_MEDIA_TYPE', mediaProblem));
  }
  if (request.contentLength !== undefined && request.contentLength > options.limit) {
    return refuse(tooLarge(new BodyTooLargeError(options.limit, request.contentLength)));
  }
  let signature: SignatureHeader;
  try {
    signature = checkSignatureHeader({
      header: request.signature,
      nowSeconds: Math.floor(options.now() / 1000),
      maxAgeSeconds: options.replayWindowS,
    });
  } catch (error) {
    return signatureRefused(error);
  }
  let body: Uint8Array;
  try {
    body = await request.readBody(options.limit);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return refuse(tooLarge(error));
    if (error instanceof BodyBudgetSpentError) return refuse(ingestBusy());
    throw error;
  }
  try {
    verifySignedBody(signature, body, options.secrets);
  } catch (error) {
    return signatureRefused(error);
  }
  const parsed = parseSignedBody(body, request);
  return parsed.ok ? parsed : { ...parsed, signed: true };
}

/** The JSON of a body whose signature checked out: the checks of `readSignedJson` after it. */
function parseSignedBody(body: Uint8Array, request: CommitRequest): SignedJson {
  // Small values cost far more heap parsed than their bytes do, which the budget counted: a body
  // of 16 MiB of `{},` parses into about 300 MB. The rest of what its values cost is charged
  // before it is parsed, so that a few such bodies at once cannot take the ingest's heap.
  const { values, depth } = measureJson(body);
  // Before JSON.parse, which takes any depth: the check for names given twice keeps a frame per
  // open object, and a body of millions of levels ran the ingest out of heap.
  if (depth > MAX_JSON_DEPTH) {
    return refuse(
      errorResponse(
        400,
        'INVALID_JSON',
        `request body nests deeper than ${MAX_JSON_DEPTH} levels (a commit nests about 8)`,
        { path: '' },
      ),
    );
  }
  const extra = values * VALUE_BUDGET_BYTES - body.byteLength;
  if (extra > 0 && request.chargeBody !== undefined && !request.chargeBody(extra)) {
    return refuse(ingestBusy());
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return refuse(
      errorResponse(400, 'INVALID_JSON', 'request body is not valid UTF-8', { path: '' }),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // JSON.parse's message quotes the body, which may hold payment data: say only where.
    const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
    const where = position === undefined ? '' : ` (at character ${position})`;
    return refuse(
      errorResponse(400, 'INVALID_JSON', `request body is not valid JSON${where}`, { path: '' }),
    );
  }
  const loss = jsonParseLoss(text);
  if (loss !== undefined) {
    // Never the number itself: it may be payment data, and this message is logged.
    const why =
      loss.kind === 'repeated-name'
        ? 'given twice in the same object; JSON.parse would keep only the last, so which one is meant is unclear'
        : 'a number with more digits than a JSON number is read with (a 64-bit double): it would be stored as another whole number; send it as a string';
    const at = loss.path === '' ? 'request body' : loss.path;
    return refuse(errorResponse(400, 'INVALID_JSON', `${at}: ${why}`, { path: loss.path }));
  }
  return { ok: true, json };
}

function refuse(response: HttpResponse): SignedJson {
  return { ok: false, response };
}

/** The 401 for a signature check's `SignatureError`; anything else is not ours to answer. */
function signatureRefused(error: unknown): SignedJson {
  if (error instanceof SignatureError) return refuse(errorResponse(401, error.code, error.message));
  throw error;
}

function tooLarge(error: BodyTooLargeError): HttpResponse {
  return errorResponse(413, error.code, error.message);
}
