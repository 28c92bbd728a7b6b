// The Java producer's partition of a keyed record, Utils.toPositive(Utils.murmur2(key)) % n
// (BuiltInPartitioner.partitionForKey), for keys that cover murmur2's 1-, 2- and 3-byte tails and
// none, bytes >= 0x80 in the tail and in the 4-byte blocks, and long keys. Computed with Kafka's
// own code: a class calling org.apache.kafka.common.utils.Utils from kafka-clients-3.9.2.jar
// (`java -cp "$HOME/.cache/commitlog/kafka-3.9.2/libs/*:." M`), on Java 17. Twelve partitions:
// with three, a port that sign-extends the tail bytes lands every one of these keys where Java
// does (and with a power of two, one that masks the hash with >>> 0 instead of & 0x7fffffff).

export const JAVA_PARTITIONS = 12;

export interface JavaMurmur2Case {
  key: Buffer;
  murmur2: number;
  partition: number;
}

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const hex = (bytes: string) => Buffer.from(bytes, 'hex');

export const JAVA_MURMUR2: readonly JavaMurmur2Case[] = (
  [
    [utf8('a'), -1563381124, 4],
    [utf8('ab'), 316155434, 2],
    [utf8('abc'), 479470107, 3],
    [utf8('txn-1'), -2033667290, 6],
    [utf8('txn-12'), -1281745459, 1],
    [utf8('txn-123'), -1467011417, 3],
    [utf8('txn-1234'), -1820420633, 3],
    [hex('80'), 857690492, 8],
    [hex('fffe'), 1717632651, 3],
    [hex('80c3ff'), 597124974, 6],
    [hex('fffe008041'), -126485578, 10],
    [utf8('ключ'), 2122343024, 8], // d0 ba d0 bb d1 8e d1 87: every byte >= 0x80
    [utf8('café'), -1358007374, 6], // 63 61 66 c3 a9
    // 73 bytes
    [
      utf8('riak.default.transactions/customer-000042/txn-2026-11-24T12:00:00.123456Z'),
      -1303641799,
      1,
    ],
    [Buffer.from(Array.from({ length: 256 }, (_, i) => i)), -1948347274, 10], // 0x00 to 0xff
    [Buffer.from(Array.from({ length: 255 }, (_, i) => 255 - i)), -788971837, 7], // 0xff to 0x01
    // 100,000 bytes, (i * 31 + 7) & 0xff
    [Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31 + 7) & 0xff)), -2106993862, 10],
  ] as const
).map(([key, murmur2, partition]) => ({ key, murmur2, partition }));
