import { describe, expect, it } from 'vitest';
import { JAVA_MURMUR2, JAVA_PARTITIONS } from '../test/java-murmur2.ts';
import { javaKeyPartitioner, murmur2 } from './murmur2.ts';

describe('murmur2', () => {
  it("hashes every key as Kafka's Java client does, long keys too", () => {
    for (const { key, murmur2: expected } of JAVA_MURMUR2) {
      expect(murmur2(key), key.subarray(0, 16).toString('hex')).toBe(expected);
    }
    // Utils.murmur2(new byte[0]) on the same JVM.
    expect(murmur2(new Uint8Array(0))).toBe(275646681);
  });

  it('gives the partition the Java producer would, once the client takes it modulo the count', () => {
    for (const { key, partition } of JAVA_MURMUR2) {
      expect(javaKeyPartitioner(undefined, key) % JAVA_PARTITIONS).toBe(partition);
    }
    expect(javaKeyPartitioner(undefined, undefined)).toBe(0);
  });
});
