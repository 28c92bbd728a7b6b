/**
 * Warms the Kafka broker before anything is measured. A fresh broker runs its request path
 * interpreted until the JVM has compiled it, which takes tens of thousands of requests: on this
 * machine the broker spent 2.0 ms of CPU per commit at 200/s while cold and 0.6 ms once warm, and
 * commitlog's p50 commit→Kafka was 20 ms against 6 ms. Whatever design runs first would pay for
 * that (commitlog did, before this existed), so the run starts with the broker's first consumer
 * group (the first read-back) and then many small produce requests shaped like the workload's
 * records (the same headers, acks=all, a topic with append-time stamps) from several producers.
 */
import { createKafkajsProducer, type RecordProducer } from '@commitlog/kafka';
import type { KafkaRecord } from '@commitlog/core';
import type { BenchContext } from './bench-context.ts';
import { flushDisk } from './disk-flush.ts';
import { seededRandom } from '@commitlog/testkit';

export interface BrokerWarmUp {
  requests: number;
  records: number;
  seconds: number;
}

/**
 * Small values: the compiled code paths are the same for any size, and the broker's writes reach
 * the disk that Redis fsyncs to within the next half minute (the kernel's writeback), where
 * hundreds of megabytes would slow the first measured design's Redis.
 */
const WARM_UP_VALUE_BYTES = 128;

/** Producers sending at once: each has one request in flight, so this many are in flight. */
const PRODUCERS = 8;

function warmUpRecord(topic: string, n: number): KafkaRecord {
  const text = (s: string): Uint8Array => Buffer.from(s);
  return {
    topic,
    key: text(`warm-${n % 10_000}`),
    value: Buffer.alloc(WARM_UP_VALUE_BYTES, n % 251),
    headers: {
      'riak-op': 'put',
      'riak-bucket-type': 'default',
      'riak-bucket': 'warm-up',
      'riak-vclock': text(`a85hYGBgzGDKBVIcR4M2cgczH7HPYEpkzGNlsP/${n}`),
      'riak-vtag': `vtag${n}`,
      'riak-last-modified': new Date().toISOString(),
      'content-type': 'application/octet-stream',
      'riak-siblings': '1',
      'commitlog-id': `warm-up-${n}`,
      'commitlog-received-at': new Date().toISOString(),
    },
  };
}

/**
 * Reads a first record back, then sends small records, one or a few per request, from
 * `PRODUCERS` producers until `durationMs` has passed, then flushes the disk. Reports how much it sent, so the run's output shows it happened.
 */
export async function warmUpBroker(ctx: BenchContext, durationMs: number): Promise<BrokerWarmUp> {
  const topic = `${ctx.runTag}-broker-warm-up`;
  await ctx.kafka.admin.createTopic(topic, {
    partitions: 4,
    configs: { 'message.timestamp.type': 'LogAppendTime' },
  });
  const producers: RecordProducer[] = [];
  const random = seededRandom(7);
  let next = 0;
  let requests = 0;
  const started = performance.now();
  try {
    for (let i = 0; i < PRODUCERS; i++) {
      producers.push(
        await createKafkajsProducer({
          brokers: ctx.kafka.brokers,
          clientId: `commitlog-bench-warm-up-${i}`,
        }),
      );
    }
    // The first read-back of a run is the broker's first consumer group: it creates its offsets
    // topic (50 partitions), seconds of work that belong here, not in the first measured step.
    await producers[0]!.send([warmUpRecord(topic, next++)]);
    await ctx.kafka.stamps.read([topic], 'commitlog-id', 60_000);
    const deadline = performance.now() + durationMs;
    await Promise.all(
      producers.map(async (producer) => {
        while (performance.now() < deadline) {
          // Mostly single records, as commitlog sends at low rates; now and then a few together.
          const count = random() < 0.8 ? 1 : 4;
          const records = Array.from({ length: count }, () => warmUpRecord(topic, next++));
          await producer.send(records);
          requests++;
        }
      }),
    );
  } finally {
    await Promise.all(producers.map((p) => p.close().catch(() => undefined)));
  }
  // What the broker wrote goes to the disk now, not while the first design is measured.
  flushDisk();
  return { requests, records: next, seconds: (performance.now() - started) / 1000 };
}
