// The gatherer against the real broker, with both clients: many lanes' records of 4 KB on a
// one-partition topic, gathered as they come. Together they are far over the broker's 1 MiB
// batch limit (max.message.bytes); every request the gatherer makes is taken, none refused
// MESSAGE_TOO_LARGE, and each record is on the topic once.
import type { KafkaRecord } from '@commitlog/core';
import { createRecordProducer, type KafkaClientName, type RecordProducer } from '@commitlog/kafka';
import { createTestTopic, waitFor, type TestTopic } from '@commitlog/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createRecordGatherer } from './record-gatherer.ts';

const CLIENTS: KafkaClientName[] = ['platformatic', 'kafkajs'];

describe.each(CLIENTS)('the record gatherer on the %s producer', (client) => {
  let topic: TestTopic | undefined;
  let producer: RecordProducer | undefined;

  afterEach(async () => {
    await producer?.close();
    await topic?.cleanup();
  });

  it('gathers requests the broker takes, however many lanes share one partition', async () => {
    topic = await createTestTopic({ prefix: 'gather-bytes', partitions: 1 });
    producer = await createRecordProducer(client, topic.connection);
    const real = producer;
    const refused: string[] = [];
    const sizes: number[] = [];
    const watched: RecordProducer = {
      ...real,
      send: (records, options) => {
        sizes.push(records.length);
        return real.send(records, options).catch((error: unknown) => {
          refused.push(error instanceof Error ? error.message : String(error));
          throw error;
        });
      },
    };
    const gatherer = createRecordGatherer({ producer: watched, maxRecords: 500 });
    const records: KafkaRecord[] = Array.from({ length: 600 }, (_, i) => ({
      topic: topic!.name,
      key: Buffer.from(`key-${String(i).padStart(4, '0')}`),
      value: Buffer.alloc(4000, i % 256),
      headers: { 'riak-op': 'put' },
    }));
    const collector = await topic.collect();

    await Promise.all(records.map((record) => gatherer.send([record])));

    expect(refused).toEqual([]);
    // Gathered all the same: far fewer requests than records.
    expect(sizes.length).toBeLessThan(10);
    await waitFor(() => collector.records.length >= 600, {
      timeoutMs: 30_000,
      description: '600 records on the topic',
    });
    const keys = collector.records.map((r) => Buffer.from(r.key ?? []).toString());
    expect(new Set(keys).size).toBe(600);
    expect(keys).toHaveLength(600);
  }, 60_000);
});
