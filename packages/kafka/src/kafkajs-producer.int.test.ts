import type { KafkaRecord } from '@commitlog/core';
import {
  createTestTopic,
  startPrivateKafka,
  uniqueName,
  waitFor,
  type PrivateKafka,
  type TestTopic,
} from '@commitlog/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KafkaConnection } from './kafka-connection.ts';
import { KafkaProduceError } from './kafka-errors.ts';
import { createKafkajsProducer } from './kafkajs-producer.ts';
import { createPlatformaticProducer } from './platformatic-producer.ts';
import type { RecordProducer } from './record-producer.ts';
import { createKafkaAdmin } from './kafka-admin.ts';

// The same contract for both implementations of RecordProducer (@platformatic/kafka is the worker's default).
const IMPLEMENTATIONS: [string, (c: KafkaConnection) => Promise<RecordProducer>][] = [
  ['kafkajs', createKafkajsProducer],
  ['@platformatic/kafka', createPlatformaticProducer],
];

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
const notUtf8Key = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0x41]);

describe.each(IMPLEMENTATIONS)('%s producer against the local broker', (_name, create) => {
  let topic: TestTopic;
  let producer: RecordProducer;

  beforeEach(async () => {
    topic = await createTestTopic({ prefix: 'producer', partitions: 3 });
    producer = await create(topic.connection);
  });

  afterEach(async () => {
    await producer.close();
    await topic.cleanup();
  });

  it('round-trips keys, values and headers byte for byte, and tombstones as null', async () => {
    const records: KafkaRecord[] = [
      {
        topic: topic.name,
        key: notUtf8Key,
        value: allBytes,
        headers: { 'riak-op': 'put', 'riak-vclock': Uint8Array.from([0, 1, 2, 254, 255]) },
      },
      { topic: topic.name, key: Buffer.from('empty'), value: new Uint8Array(0), headers: {} },
      {
        topic: topic.name,
        key: Buffer.from('gone'),
        value: null,
        headers: { 'riak-op': 'delete' },
      },
    ];
    const collector = await topic.collect();
    await producer.send(records);

    await waitFor(() => collector.records.length === 3, {
      timeoutMs: 30_000,
      description: '3 records on the topic',
    });
    const byKey = new Map(
      collector.records.map((r) => [Buffer.from(r.key ?? []).toString('hex'), r]),
    );
    const first = byKey.get(Buffer.from(notUtf8Key).toString('hex'));
    expect(Buffer.from(first?.value ?? [])).toEqual(Buffer.from(allBytes));
    expect(Buffer.from(first?.headers['riak-op'] ?? []).toString()).toBe('put');
    expect(Buffer.from(first?.headers['riak-vclock'] ?? [])).toEqual(
      Buffer.from([0, 1, 2, 254, 255]),
    );
    expect(byKey.get(Buffer.from('empty').toString('hex'))?.value?.length).toBe(0);
    expect(byKey.get(Buffer.from('gone').toString('hex'))?.value).toBeNull();
  });

  it('keeps the order of one key within its partition across concurrent send calls', async () => {
    const collector = await topic.collect();
    const sends = [];
    for (let version = 0; version < 50; version++) {
      sends.push(
        producer.send([
          {
            topic: topic.name,
            key: Buffer.from('k'),
            value: Buffer.from(String(version)),
            headers: {},
          },
        ]),
      );
    }
    await Promise.all(sends);
    await waitFor(() => collector.records.length === 50, { timeoutMs: 30_000 });
    const versions = collector.records.map((r) => Number(Buffer.from(r.value ?? []).toString()));
    expect(versions).toEqual([...Array(50).keys()]);
    expect(new Set(collector.records.map((r) => r.partition)).size).toBe(1);
  });

  it('puts a key on the partition the Java client would', async () => {
    // The Java producer's partition of a keyed record: Utils.toPositive(Utils.murmur2(key)) % n
    // (BuiltInPartitioner.partitionForKey). Computed with Kafka's own code: a class calling
    // org.apache.kafka.common.utils.Utils from kafka-clients-3.9.2.jar (the jars that
    // infra/kafka/kafka.sh fetches; `bash infra/kafka/kafka.sh classpath`), run on Java 17. Keys
    // cover murmur2's 1-, 2- and 3-byte tails and none, bytes >= 0x80 in the tail and in the
    // 4-byte blocks, and longer keys. Twelve partitions: with three, a port that sign-extends the
    // tail bytes lands every one of these keys where Java does (and with a power of two, one that
    // masks the hash with >>> 0 instead of & 0x7fffffff would too).
    const PARTITIONS = 12;
    const utf8 = (text: string) => Buffer.from(text, 'utf8');
    const hex = (bytes: string) => Buffer.from(bytes, 'hex');
    const expected: [key: Buffer, murmur2: number, partition: number][] = [
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
      [
        utf8('riak.default.transactions/customer-000042/txn-2026-11-24T12:00:00.123456Z'),
        -1303641799,
        1,
      ], // 73 bytes
      [Buffer.from(allBytes), -1948347274, 10], // 0x00 to 0xff
      [Buffer.from(Array.from({ length: 255 }, (_, i) => 255 - i)), -788971837, 7], // 0xff to 0x01
    ];
    const wide = await createTestTopic({ prefix: 'partitioner', partitions: PARTITIONS });
    try {
      const collector = await wide.collect();
      await producer.send(
        expected.map(([key]) => ({ topic: wide.name, key, value: null, headers: {} })),
      );
      await waitFor(() => collector.records.length === expected.length, { timeoutMs: 30_000 });
      const got = new Map(
        collector.records.map((r) => [Buffer.from(r.key ?? []).toString('hex'), r.partition]),
      );
      for (const [key, murmur2, partition] of expected) {
        // The Java client's arithmetic on the hash, so that the table checks itself.
        expect((murmur2 & 0x7fffffff) % PARTITIONS).toBe(partition);
        expect(got.get(key.toString('hex')), key.toString('hex')).toBe(partition);
      }
    } finally {
      await wide.cleanup();
    }
  });

  it('creates a topic that does not exist yet where the broker allows it, as the Java client does', async () => {
    // A bucket's default topic (riak.<type>.<bucket>) may not exist before its first commit; the
    // local broker runs with Kafka's default auto.create.topics.enable=true. Sent until taken: the
    // first send may find the new topic's leader not elected yet.
    const fresh = `${topic.name}-new`;
    const admin = await createKafkaAdmin(topic.connection);
    try {
      await waitFor(
        () =>
          producer
            .send([{ topic: fresh, key: Buffer.from('k'), value: Buffer.from('v'), headers: {} }])
            .then(
              () => true,
              () => false,
            ),
        { description: `a send to the new topic ${fresh} to be taken`, intervalMs: 200 },
      );
      expect(await admin.listTopics()).toContain(fresh);
    } finally {
      await admin.deleteTopics([fresh]).catch(() => undefined);
      await admin.close();
    }
  });

  it('refuses a record over the topic limit for good (MESSAGE_TOO_LARGE, not retriable)', async () => {
    const admin = await createKafkaAdmin(topic.connection);
    await admin.alterTopicConfig(topic.name, { 'max.message.bytes': '2000' });
    await admin.close();
    // The broker applies a changed topic config shortly after the admin call returns (it follows
    // the metadata log): until it does, the record is taken. Sent until it is refused.
    const error = await waitFor(
      () =>
        producer
          .send([
            {
              topic: topic.name,
              key: Buffer.from('big'),
              value: new Uint8Array(10_000),
              headers: {},
            },
          ])
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
      { description: 'the 2,000-byte limit to apply', intervalMs: 100 },
    );
    expect(error).toBeInstanceOf(KafkaProduceError);
    expect(error).toMatchObject({ code: 'MESSAGE_TOO_LARGE', retriable: false, fromBroker: true });
    // The broker answered: one record's refusal does not make readiness show Kafka down.
    expect(producer.isConnected()).toBe(true);
  });
});

describe.each(IMPLEMENTATIONS)('%s producer without a broker', (_name, create) => {
  it('starts anyway, and a send fails as retriable', async () => {
    const producer = await create({
      brokers: ['127.0.0.1:1'],
      connectionTimeoutMs: 500,
      requestTimeoutMs: 500,
    });
    expect(producer.isConnected()).toBe(false);
    const error = await producer
      .send([{ topic: 'nowhere', key: Buffer.from('k'), value: null, headers: {} }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaProduceError);
    expect(error).toMatchObject({ retriable: true, fromBroker: false });
    expect(producer.isConnected()).toBe(false);
    await producer.close();
  });
});

describe('a broker that creates no topics', () => {
  let kafka: PrivateKafka;

  beforeAll(async () => {
    kafka = await startPrivateKafka({ autoCreateTopics: false });
  });

  afterAll(async () => {
    await kafka?.cleanup();
  });

  it.each(IMPLEMENTATIONS)(
    'fails a %s send to a topic that does not exist as its retriable answer, still connected',
    async (_name, create) => {
      // Both clients are held to the same code and connectivity: the retry's reason label
      // (unknown-topic-or-partition) and readiness (a broker answered) must not depend on the
      // client. @platformatic/kafka 2.12.1 reports this answer its own way (platformatic-errors.ts).
      const producer = await create({
        brokers: kafka.brokers,
        clientId: 'commitlog-missing-topic',
      });
      try {
        const error = await producer
          .send([{ topic: uniqueName('absent'), key: Buffer.from('k'), value: null, headers: {} }])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(KafkaProduceError);
        expect(error).toMatchObject({
          code: 'UNKNOWN_TOPIC_OR_PARTITION',
          retriable: true,
          fromBroker: true,
        });
        expect(producer.isConnected()).toBe(true);
      } finally {
        await producer.close();
      }
    },
  );
});
