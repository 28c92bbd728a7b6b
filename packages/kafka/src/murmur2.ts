/**
 * Kafka's murmur2 hash of a record key, as the Java client computes it (`Utils.murmur2`), in
 * 32-bit integer arithmetic. @platformatic/kafka 2.12.1's own port works in BigInts that grow
 * with every 4 bytes of key, which costs time quadratic in the key's length (5 ms for a 10 KB
 * key, 114 ms for 64 KB, with the worker's event loop held meanwhile); this one is linear.
 */
export function murmur2(key: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = key.length;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= key[whole + 2]! << 16;
  if (rest >= 2) h ^= key[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= key[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition the Java producer gives a keyed record, before the modulo by the topic's
 * partition count (which the client applies): `toPositive(murmur2(key))`. Unkeyed records (none
 * here: every commit has a key) go to partition 0.
 */
export function javaKeyPartitioner(_message: unknown, key: unknown): number {
  return Buffer.isBuffer(key) ? murmur2(key) & 0x7fffffff : 0;
}
