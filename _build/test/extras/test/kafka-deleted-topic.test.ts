// A topic deleted after the worker wrote to it, on a broker that does not create topics: its
// records fail as retriable (the lane holds until the topic is back), and records for every other
// topic are still delivered. kafkajs refreshes the metadata of every topic it has sent to and
// failed a send to another topic with the deleted one's error; such a send is tried once more on a
// fresh client (packages/kafka/src/kafkajs-producer.ts). Both clients are held to it.
import { failureReason, type KafkaRecord } from '@commitlog/core';
import { createRecordProducer, KafkaProduceError, type KafkaClientName } from '@commitlog/kafka';
import { startPrivateKafka, uniqueName, waitFor, type PrivateKafka } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUntil, text, withAdmin } from './support/kafka-check.ts';

const CLIENTS: KafkaClientName[] = ['platformatic', 'kafkajs'];

function record(topic: string, key: string): KafkaRecord {
  return { topic, key: Buffer.from(key), value: Buffer.from(`v-${key}`), headers: {} };
}

describe.each(CLIENTS)('the %s producer and a topic deleted after use', (client) => {
  let kafka: PrivateKafka;

  beforeAll(async () => {
    kafka = await startPrivateKafka({ autoCreateTopics: false });
  });

  afterAll(async () => {
    await kafka?.cleanup();
  });

  it('fails only that topic’s records, as retriable, and delivers to the others', async () => {
    const [gone, kept, later] = ['gone', 'kept', 'later'].map(uniqueName) as [
      string,
      string,
      string,
    ];
    await withAdmin(kafka.brokers, async (admin) => {
      for (const topic of [gone, kept, later]) await admin.createTopic(topic, { partitions: 1 });
    });
    const producer = await createRecordProducer(client, {
      brokers: kafka.brokers,
      clientId: 'commitlog-deleted-topic-test',
    });
    try {
      await producer.send([record(gone, 'before')]);
      await producer.send([record(kept, 'k1')]);
      await withAdmin(kafka.brokers, (admin) => admin.deleteTopics([gone]));
      // The broker applies a deletion shortly after the controller took it (it follows the
      // metadata log): until then it still takes records for the topic.
      await waitFor(
        () => withAdmin(kafka.brokers, async (admin) => !(await admin.listTopics()).includes(gone)),
        { description: `the broker to drop ${gone}`, intervalMs: 100 },
      );
      // A topic it has not sent to before makes kafkajs refresh the metadata of every topic it
      // knows, the deleted one too.
      await producer.send([record(later, 'l1')]);
      const refused = await producer.send([record(gone, 'after')]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(KafkaProduceError);
      expect((refused as KafkaProduceError).retriable).toBe(true);
      expect(failureReason(refused)).not.toBe('forbidden-topic');
      await producer.send([record(kept, 'k2'), record(later, 'l2')]);
    } finally {
      await producer.close();
    }
    const got = await readUntil(kafka.brokers, [kept, later], (r) => r.length >= 4);
    expect(got.map((r) => `${r.topic}/${text(r.key)}`).sort()).toEqual(
      [`${kept}/k1`, `${kept}/k2`, `${later}/l1`, `${later}/l2`].sort(),
    );
  });
});
