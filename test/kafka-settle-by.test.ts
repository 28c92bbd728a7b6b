// A produce that must settle by a time (the worker's lock on its lane) against a broker the
// network has swallowed: it is abandoned then, its client stops retrying, and when the network
// heals the record does not land late, after records that other workers may have sent since.
// A proxy blackholes the broker; it drops what it held of a connection its client closed.
import { deadlineClock } from '@commitlog/core';
import {
  KafkaProduceError,
  createKafkajsProducer,
  createPlatformaticProducer,
} from '@commitlog/kafka';
import type { KafkaConnection, RecordProducer } from '@commitlog/kafka';
import { freePort, startPrivateKafka, uniqueName, type PrivateKafka } from '@commitlog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './faults/tcp-proxy.ts';
import { readUntil, text, withAdmin } from './support/kafka-check.ts';

const IMPLEMENTATIONS: [string, (c: KafkaConnection) => Promise<RecordProducer>][] = [
  ['kafkajs', createKafkajsProducer],
  ['@platformatic/kafka', createPlatformaticProducer],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function record(topic: string, value: string) {
  return { topic, key: Buffer.from('k'), value: Buffer.from(value), headers: {} };
}

/**
 * A send the test needs to land, tried again on a retriable failure: with 1 s timeouts (the
 * blackhole's test needs them short) a loaded machine can time out a healthy broker. A timed-out
 * try may have landed too, so a value can then be on the topic twice.
 */
async function sendSurely(producer: RecordProducer, topic: string, value: string): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await producer.send([record(topic, value)]);
    } catch (error) {
      if (tries >= 5 || !(error instanceof KafkaProduceError) || !error.retriable) throw error;
      await sleep(500);
    }
  }
}

describe('a produce with a settle-by time, against a broker cut off by the network', () => {
  let proxy: TcpProxy;
  let kafka: PrivateKafka;

  beforeAll(async () => {
    const port = await freePort();
    proxy = await startTcpProxy({ target: { host: '127.0.0.1', port } });
    kafka = await startPrivateKafka({ listenPort: port, advertisedPort: proxy.port });
  });

  afterAll(async () => {
    await kafka?.cleanup();
    await proxy?.close();
  });

  it.each(IMPLEMENTATIONS)(
    '%s: is abandoned by then, and its record never lands after the network heals',
    async (_name, create) => {
      const topic = uniqueName('settle-by');
      await withAdmin(kafka.brokers, (a) => a.createTopic(topic, { partitions: 1 }));
      // The client's own retries (platformatic: 4 tries of up to 2 s) would outlast the settle-by
      // time and the blackhole, and a request that timed out stays in the network: without giving
      // the client up, 'stale' would land once the network is back.
      const producer = await create({
        brokers: kafka.brokers,
        connectionTimeoutMs: 1_000,
        requestTimeoutMs: 1_000,
      });
      try {
        await sendSurely(producer, topic, 'before');

        proxy.setFault({ kind: 'blackhole' });
        const stale = producer.send([record(topic, 'stale')], {
          settleBy: deadlineClock.now() + 1_500,
        });
        const error = await stale.then(
          () => undefined,
          (e: unknown) => e,
        );
        // Abandoned at its settle-by time, or failed before it (kafkajs, which no longer retries
        // inside, times the request out first): either way its client is given up and reset.
        expect(error).toBeInstanceOf(KafkaProduceError);
        expect(error).toMatchObject({ retriable: true });
        await sleep(500);
        proxy.setFault({ kind: 'none' });

        // What another worker sends meanwhile, and this producer's next send, on a fresh client.
        await sendSurely(producer, topic, 'newer');
        // Longer than the abandoned client's remaining retries would have taken to land it.
        await sleep(8_000);
        await sendSurely(producer, topic, 'last');
        const values = (
          await readUntil(kafka.brokers, [topic], (rs) => rs.some((r) => text(r.value) === 'last'))
        ).map((r) => text(r.value));
        expect(values).not.toContain('stale');
        expect([...new Set(values)]).toEqual(['before', 'newer', 'last']);
      } finally {
        proxy.setFault({ kind: 'none' });
        await producer.close();
      }
    },
  );
});
