import { createHmac, timingSafeEqual } from 'node:crypto';
import { CommitlogError } from './errors.ts';

/**
 * The request signature of the ingest API (DESIGN.md, "Ingest HTTP API, v1"):
 * `X-Commitlog-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The Erlang hook computes the same (apps/riak-hook/src/commitlog_signature.erl).
 */
export const SIGNATURE_HEADER = 'x-commitlog-signature';

/** Why a request's signature was refused; answered as 401 with this code. */
export class SignatureError extends CommitlogError {
  constructor(
    code: 'SIGNATURE_MISSING' | 'SIGNATURE_MALFORMED' | 'SIGNATURE_EXPIRED' | 'SIGNATURE_INVALID',
    message: string,
  ) {
    super(code, message, { retriable: false });
  }
}

function mac(secret: string, timestamp: string, body: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** The header value that signs `body` at `unixSeconds` with `secret`. */
export function signRequest(secret: string, body: Uint8Array, unixSeconds: number): string {
  const t = String(Math.floor(unixSeconds));
  return `t=${t},v1=${mac(secret, t, body).toString('hex')}`;
}

/** A signature header that is well formed and within its time window (see `checkSignatureHeader`). */
export interface SignatureHeader {
  t: string;
  /** Every `v1=` MAC it carries. */
  candidates: Buffer[];
}

/**
 * The checks of a signature header that need no body: present, well formed, and a timestamp no
 * more than `maxAgeSeconds` away from `nowSeconds` (in either direction) so a captured request
 * cannot be replayed later. The ingest makes them before it reads a body, so that a client without
 * a valid header cannot hold the body budget. Throws SignatureError.
 */
export function checkSignatureHeader(options: {
  header: string | undefined;
  nowSeconds: number;
  maxAgeSeconds: number;
}): SignatureHeader {
  const { header } = options;
  if (header === undefined || header === '') {
    throw new SignatureError('SIGNATURE_MISSING', `missing ${SIGNATURE_HEADER} header`);
  }
  let t: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) t = value;
    // Hex is hex in either case: a client that prints its MAC in capitals signs no differently.
    if (name === 'v1' && /^[0-9a-f]{64}$/i.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  if (t === undefined || candidates.length === 0) {
    throw new SignatureError(
      'SIGNATURE_MALFORMED',
      `${SIGNATURE_HEADER} must look like t=<unix seconds>,v1=<64 hex characters>`,
    );
  }
  const skew = Math.abs(options.nowSeconds - Number(t));
  if (skew > options.maxAgeSeconds) {
    throw new SignatureError(
      'SIGNATURE_EXPIRED',
      `signature time is ${skew} s away from the server's clock (at most ${options.maxAgeSeconds} s)`,
    );
  }
  return { t, candidates };
}

/**
 * Checks a header that passed `checkSignatureHeader` against the raw body. Accepts a signature made
 * with any of `secrets` (two during a rotation), compared in constant time. Throws SignatureError.
 */
export function verifySignedBody(
  signature: SignatureHeader,
  body: Uint8Array,
  secrets: readonly string[],
): void {
  let matched = false;
  for (const secret of secrets) {
    const expected = mac(secret, signature.t, body);
    // Compare against every secret and candidate without stopping early.
    for (const candidate of signature.candidates) {
      matched = timingSafeEqual(expected, candidate) || matched;
    }
  }
  if (!matched) throw new SignatureError('SIGNATURE_INVALID', 'signature does not match the body');
}

/**
 * Both checks at once: the header (`checkSignatureHeader`), then the raw body
 * (`verifySignedBody`). Throws SignatureError; returns nothing on success.
 */
export function verifyRequestSignature(options: {
  header: string | undefined;
  body: Uint8Array;
  secrets: readonly string[];
  nowSeconds: number;
  maxAgeSeconds: number;
}): void {
  verifySignedBody(checkSignatureHeader(options), options.body, options.secrets);
}
