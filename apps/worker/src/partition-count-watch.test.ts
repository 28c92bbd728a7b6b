import type { KafkaRecord } from '@commitlog/core';
import type { RecordProducer } from '@commitlog/kafka';
import { describe, expect, it } from 'vitest';
import { noticingTopics, TOPICS_PER_CHECK, watchPartitionCounts } from './partition-count-watch.ts';

/** A watch whose timer never fires in a test (turns are run by `check`), on `kafka` and a fake fleet record. */
function watchWith(kafka: () => Map<string, number> | Error) {
  const fleet = new Map<string, number>();
  const errors: Record<string, unknown>[] = [];
  const warnings: unknown[] = [];
  const changes: string[] = [];
  const asked: string[][] = [];
  const watch = watchPartitionCounts({
    read: (topics) => {
      asked.push([...topics]);
      const answer = kafka();
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    record: (topic, count) => {
      const before = fleet.get(topic);
      fleet.set(topic, count);
      return Promise.resolve(before);
    },
    onChange: (topic) => changes.push(topic),
    logger: {
      error: (fields: object) => errors.push(fields as Record<string, unknown>),
      warn: (fields: object) => warnings.push(fields),
    },
    intervalMs: 3_600_000,
  });
  return { watch, fleet, errors, warnings, changes, asked };
}

describe('watchPartitionCounts', () => {
  it('records a first count quietly, and names a topic whose count changed since', async () => {
    let counts = new Map([['payments', 6]]);
    const w = watchWith(() => counts);
    try {
      w.watch.saw('payments');
      await w.watch.check();
      expect(w.fleet.get('payments')).toBe(6);
      expect(w.errors).toEqual([]);
      // Not delivered to since: not asked about.
      await w.watch.check();
      expect(w.asked).toEqual([['payments']]);

      counts = new Map([['payments', 12]]);
      w.watch.saw('payments');
      await w.watch.check();
      expect(w.changes).toEqual(['payments']);
      expect(w.errors).toEqual([
        expect.objectContaining({
          code: 'TOPIC_PARTITIONS_CHANGED',
          topic: 'payments',
          partitionsBefore: 6,
          partitions: 12,
        }),
      ]);
      expect(w.fleet.get('payments')).toBe(12);
    } finally {
      w.watch.stop();
    }
  });

  it('keeps the topics of a turn that failed for the next, and drops a topic Kafka no longer has', async () => {
    const answers: (Map<string, number> | Error)[] = [
      new Error('ECONNREFUSED'),
      new Map([['a', 1]]),
    ];
    const w = watchWith(() => answers.shift()!);
    try {
      w.watch.saw('a');
      w.watch.saw('gone');
      await w.watch.check();
      expect(w.warnings).toEqual([{ err: new Error('ECONNREFUSED') }]);
      await w.watch.check();
      expect(w.asked).toEqual([
        ['a', 'gone'],
        ['a', 'gone'],
      ]);
      expect(w.fleet.get('a')).toBe(1);
      await w.watch.check();
      expect(w.asked).toHaveLength(2);
    } finally {
      w.watch.stop();
    }
  });

  it('reads at most TOPICS_PER_CHECK topics a turn, the rest at the next', async () => {
    const w = watchWith(() => new Map());
    try {
      for (let i = 0; i <= TOPICS_PER_CHECK; i++) w.watch.saw(`t${i}`);
      await w.watch.check();
      await w.watch.check();
      expect(w.asked.map((topics) => topics.length)).toEqual([TOPICS_PER_CHECK, 1]);
    } finally {
      w.watch.stop();
    }
  });
});

describe('noticingTopics', () => {
  it('tells the topics of a send once Kafka acknowledged it, and none of a send refused', async () => {
    let refuse = false;
    const producer: RecordProducer = {
      send: () => (refuse ? Promise.reject(new Error('refused')) : Promise.resolve()),
      isConnected: () => true,
      reach: () => Promise.resolve(true),
      close: () => Promise.resolve(),
    };
    const seen: string[] = [];
    const noticing = noticingTopics(producer, (topic) => seen.push(topic));
    const record = (topic: string) => ({ topic }) as KafkaRecord;
    await noticing.send([record('a'), record('b')]);
    expect(seen).toEqual(['a', 'b']);
    refuse = true;
    await expect(noticing.send([record('c')])).rejects.toThrow('refused');
    expect(seen).toEqual(['a', 'b']);
    expect(noticing.isConnected()).toBe(true);
  });
});
