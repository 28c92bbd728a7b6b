/**
 * Riak-like commits as the hook sends them: one signed JSON body per commit, a value of 256 B,
 * 1 KiB or 8 KiB (50/40/10 %), keys drawn uniformly or Zipf-skewed from a fixed key space. Every
 * commit has its own vclock, so each one is a new commit (never a duplicate of an earlier one).
 * Value bytes are random but drawn from a few pre-built blocks, so building a body costs the load
 * generator little CPU.
 */
import { seededRandom } from '@commitlog/testkit';
import { uniformSampler, zipfSampler } from './zipf.ts';

export const VALUE_MIX: readonly { bytes: number; share: number }[] = [
  { bytes: 256, share: 0.5 },
  { bytes: 1024, share: 0.4 },
  { bytes: 8192, share: 0.1 },
];

export type KeyDistribution = 'uniform' | 'zipf';

export interface WorkloadOptions {
  bucket: string;
  keys: number;
  distribution: KeyDistribution;
  /** Zipf exponent. Default 1.1. */
  zipfS?: number;
  seed: number;
}

export interface WorkloadCommit {
  key: string;
  valueBytes: number;
  body: Buffer;
}

/** Which value size a uniform draw `u` in [0, 1) picks, by the shares of `mix`. */
export function pickValueSize(u: number, mix = VALUE_MIX): number {
  let acc = 0;
  for (const m of mix) {
    acc += m.share;
    if (u < acc) return m.bytes;
  }
  return mix[mix.length - 1]!.bytes;
}

const BLOCKS_PER_SIZE = 8;

export function createWorkload(options: WorkloadOptions): (n: number) => WorkloadCommit {
  const random = seededRandom(options.seed);
  const drawKey =
    options.distribution === 'zipf'
      ? zipfSampler(options.keys, options.zipfS ?? 1.1, random)
      : uniformSampler(options.keys, random);
  const blocks = new Map<number, string[]>();
  for (const { bytes } of VALUE_MIX) {
    blocks.set(
      bytes,
      Array.from({ length: BLOCKS_PER_SIZE }, () =>
        Buffer.from(Uint8Array.from({ length: bytes }, () => Math.floor(random() * 256))).toString(
          'base64',
        ),
      ),
    );
  }
  const lastModified = new Date().toISOString().replace('Z', '000Z');
  const bucket = JSON.stringify(options.bucket);
  return (n) => {
    const valueBytes = pickValueSize(random());
    const pool = blocks.get(valueBytes)!;
    const key = `k${drawKey()}`;
    const vclock = Buffer.from(`bench-${options.seed}-${n}`).toString('base64');
    // Written by hand rather than JSON.stringify of an object: the same bytes, less CPU per commit.
    const body =
      `{"bucketType":"default","bucket":${bucket},"key":"${key}","op":"put","vclock":"${vclock}",` +
      `"siblings":[{"value":"${pool[n % pool.length]!}","contentType":"application/octet-stream",` +
      `"vtag":"v${n}","lastModified":"${lastModified}","usermeta":{"origin":"bench"}}]}`;
    return { key, valueBytes, body: Buffer.from(body) };
  };
}
