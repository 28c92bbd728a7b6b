import type { KafkaRecord } from '@commitlog/core';
import { createTestTopic, waitFor, type TestTopic } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKafkajsProducer } from './kafkajs-producer.ts';
import type { RecordProducer } from './record-producer.ts';

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
const notUtf8Key = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0x41]);

describe('kafkajs producer against the local broker', () => {
  let topic: TestTopic;
  let producer: RecordProducer;

  beforeEach(async () => {
    topic = await createTestTopic({ prefix: 'producer', partitions: 3 });
    producer = await createKafkajsProducer(topic.connection);
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
});
