import type { Commit } from './commit-schema.ts';
import { LengthPrefixedWriter } from './length-prefixed.ts';

/** Most lanes a deployment may have (`LANES`). */
export const MAX_LANES = 4096;

/**
 * The lane of a commit, in [0, lanes): every commit of one (bucket type, bucket, key) goes
 * through the same lane, which is what keeps per-key order.
 *
 * Derivation (v1), stable across processes, machines and versions (changing it, or `lanes`,
 * needs a drain): with `F(x)` = 4-byte big-endian length of `x`, then `x`'s exact bytes,
 *
 *     h    = SHA-256( F(bucketType) F(bucket) F(key) )
 *     lane = (first 8 bytes of h, as a big-endian unsigned 64-bit integer) mod lanes
 *
 * Bytes, not forms: `"k"` and `{"base64": "aw=="}` share a lane. The modulo bias over 2^64 is
 * negligible for up to 4,096 lanes.
 *
 * @param lanes number of lanes, an integer from 1 to 4,096
 * @throws RangeError when `lanes` is out of range
 */
export function laneOf(
  commit: Pick<Commit, 'bucketType' | 'bucket' | 'key'>,
  lanes: number,
): number {
  if (!Number.isInteger(lanes) || lanes < 1 || lanes > MAX_LANES) {
    throw new RangeError(`lanes must be an integer from 1 to ${MAX_LANES}, got ${lanes}`);
  }
  const hash = new LengthPrefixedWriter()
    .binary(commit.bucketType)
    .binary(commit.bucket)
    .binary(commit.key)
    .sha256();
  return Number(hash.readBigUInt64BE(0) % BigInt(lanes));
}

/**
 * A lane's name for logs, metrics and the dashboard: `lane-0007`.
 *
 * @throws RangeError when `lane` is not an integer in [0, 4096)
 */
export function laneName(lane: number): string {
  if (!Number.isInteger(lane) || lane < 0 || lane >= MAX_LANES) {
    throw new RangeError(`a lane is an integer from 0 to ${MAX_LANES - 1}, got ${lane}`);
  }
  return `lane-${String(lane).padStart(4, '0')}`;
}
