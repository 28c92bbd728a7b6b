/**
 * What every HTTP baseline does with a request before answering: the same checks as the ingest
 * (signature on the raw bytes, JSON, the commit schema, the size limit) and the same commit id,
 * with core's functions. The difference from the ingest is only what happens after.
 */
import {
  assertCommitSize,
  commitId,
  laneOf,
  parseCommit,
  SignatureError,
  verifyRequestSignature,
  type Commit,
} from '@commitlog/core';

export type Accepted =
  { ok: true; commit: Commit; id: string; lane: number } | { ok: false; status: number };

const MAX_COMMIT_BYTES = 1_000_000;
const LANES = 16;

export function acceptCommit(
  body: Uint8Array,
  signature: string | undefined,
  secrets: readonly string[],
): Accepted {
  try {
    verifyRequestSignature({
      header: signature,
      body,
      secrets,
      nowSeconds: Math.floor(Date.now() / 1000),
      maxAgeSeconds: 300,
    });
  } catch (error) {
    if (error instanceof SignatureError) return { ok: false, status: 401 };
    throw error;
  }
  try {
    const commit = parseCommit(JSON.parse(Buffer.from(body).toString('utf8')));
    assertCommitSize(commit, MAX_COMMIT_BYTES);
    return { ok: true, commit, id: commitId(commit), lane: laneOf(commit, LANES) };
  } catch {
    return { ok: false, status: 400 };
  }
}

/** The secret the bench signs with, passed to every baseline through its environment. */
export function benchSecrets(): string[] {
  const secret = process.env.BENCH_SECRET;
  if (secret === undefined) throw new Error('BENCH_SECRET is not set');
  return [secret];
}

/** Prints one JSON line for the bench (the protocol of bench/lib/child-process.ts). */
export function report(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(fields)}\n`);
}
