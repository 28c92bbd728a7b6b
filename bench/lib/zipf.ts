/**
 * Zipf-distributed key indices: index k (0-based) is drawn with probability proportional to
 * 1 / (k + 1)^s. Riak workloads are skewed like this (a few hot keys); hot keys pile into few lanes,
 * which is what a lane design must survive. The CDF is built once; each draw is a binary search.
 */
export function zipfSampler(
  n: number,
  s: number,
  random: () => number = Math.random,
): () => number {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`n must be a positive integer (got ${n})`);
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / Math.pow(k + 1, s);
    cdf[k] = total;
  }
  for (let k = 0; k < n; k++) cdf[k]! /= total;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Uniform key indices in 0..n-1. */
export function uniformSampler(n: number, random: () => number = Math.random): () => number {
  return () => Math.min(n - 1, Math.floor(random() * n));
}
