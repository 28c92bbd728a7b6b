import { createTestTopic, type TestTopic } from '@commitlog/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKafkaAdmin } from './kafka-admin.ts';
import { createKafkajsProducer } from './kafkajs-producer.ts';
import { createTopicStampReader, type TopicStampReader } from './topic-stamps.ts';

describe('topic stamp reader against the local broker', () => {
  let topic: TestTopic;
  let reader: TopicStampReader;

  beforeEach(async () => {
    topic = await createTestTopic({ prefix: 'stamps', partitions: 2 });
    const admin = await createKafkaAdmin(topic.connection);
    await admin.alterTopicConfig(topic.name, { 'message.timestamp.type': 'LogAppendTime' });
    await admin.close();
    reader = await createTopicStampReader(topic.connection);
  });

  afterEach(async () => {
    await reader.close();
    await topic.cleanup();
  });

  it('counts and reads every record to the end, with its id header and append time', async () => {
    expect(await reader.count([topic.name])).toBe(0);
    expect(await reader.read([topic.name], 'id', 5000)).toEqual([]);
    const producer = await createKafkajsProducer(topic.connection);
    const before = Date.now();
    await producer.send(
      Array.from({ length: 20 }, (_, i) => ({
        topic: topic.name,
        key: Buffer.from(`k${i}`),
        value: Buffer.from('v'),
        headers: { id: `c${i}`, ...(i % 2 === 0 ? { at: `t${i}` } : {}) },
      })),
    );
    await producer.close();
    expect(await reader.count([topic.name])).toBe(20);
    const stamps = await reader.read([topic.name], 'id', 30_000);
    expect(stamps.map((s) => s.id).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `c${i}`).sort(),
    );
    for (const s of stamps) {
      expect(s.timestampMs).toBeGreaterThanOrEqual(before - 1000);
      expect(s.timestampMs).toBeLessThanOrEqual(Date.now() + 1000);
      expect(s.also).toBeUndefined();
    }
    // Other headers on request: those the record carries.
    const withAt = await reader.read([topic.name], 'id', 30_000, { alsoHeaders: ['at'] });
    for (const s of withAt) {
      const i = Number(s.id?.slice(1));
      expect(s.also, s.id).toEqual(i % 2 === 0 ? { at: `t${i}` } : {});
    }
    expect(withAt).toHaveLength(20);
  });
});
