import type { KafkaRecord } from '@commitlog/core';
import { KafkaProduceError, type RecordProducer } from '@commitlog/kafka';
import { describe, expect, it } from 'vitest';
import { createRecordGatherer, PRODUCE_REQUEST_BYTES } from './record-gatherer.ts';

function record(key: string, topic = 't'): KafkaRecord {
  return { topic, key: Buffer.from(key), value: Buffer.from('v'), headers: {} };
}

/** A producer that records each request and can be told to fail some. */
function fakeProducer(
  fail: (records: readonly KafkaRecord[]) => Error | undefined = () => undefined,
) {
  const requests: string[][] = [];
  const settleBys: (number | undefined)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const producer: RecordProducer = {
    async send(records, options) {
      settleBys.push(options?.settleBy);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      requests.push(records.map((r) => Buffer.from(r.key).toString()));
      const error = fail(records);
      if (error) throw error;
    },
    isConnected: () => true,
    reach: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
  return { producer, requests, settleBys, maxInFlight: () => maxInFlight };
}

/**
 * Each record (or key, on topic `t`) sent by a caller of its own, all at once: the first goes
 * alone, the rest gather behind it into one request. The outcome of each caller, in order.
 */
function sendEach(
  gatherer: ReturnType<typeof createRecordGatherer>,
  records: (string | KafkaRecord)[],
): Promise<PromiseSettledResult<void>[]> {
  return Promise.allSettled(
    records.map((r) => gatherer.send([typeof r === 'string' ? record(r) : r])),
  );
}

/** The callers' outcomes as one line, e.g. `fulfilled rejected`. */
function statusesOf(results: PromiseSettledResult<void>[]): string {
  return results.map((r) => r.status).join(' ');
}

describe('record gatherer', () => {
  it('sends one request at a time and gathers callers that arrive meanwhile', async () => {
    const fake = fakeProducer();
    const gatherer = createRecordGatherer({ producer: fake.producer, maxRecords: 100 });
    await Promise.all(['a', 'b', 'c', 'd'].map((k) => gatherer.send([record(k)])));
    expect(fake.maxInFlight()).toBe(1);
    expect(fake.requests).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('sends a retry in a request of its own, in its turn, and gathers the others around it', async () => {
    const fake = fakeProducer();
    const gatherer = createRecordGatherer({ producer: fake.producer, maxRecords: 100 });
    await Promise.all([
      gatherer.send([record('first')]),
      gatherer.send([record('a')]),
      gatherer.send([record('retry'), record('its-follower')], undefined, { alone: true }),
      gatherer.send([record('b')]),
      gatherer.send([record('c')]),
    ]);
    expect(fake.requests).toEqual([['first'], ['a'], ['retry', 'its-follower'], ['b', 'c']]);
  });

  it("fails a retry alone, not the others' request, when its partition still refuses", async () => {
    const notEnough = new KafkaProduceError('NOT_ENOUGH_REPLICAS', 'produce failed: not enough', {
      retriable: true,
      fromBroker: true,
    });
    const fake = fakeProducer((records) =>
      records.some((r) => Buffer.from(r.key).toString() === 'sick') ? notEnough : undefined,
    );
    const gatherer = createRecordGatherer({ producer: fake.producer, maxRecords: 100 });
    const results = await Promise.allSettled([
      gatherer.send([record('first')]),
      gatherer.send([record('a')]),
      gatherer.send([record('sick')], undefined, { alone: true }),
      gatherer.send([record('b')]),
    ]);
    expect(statusesOf(results)).toBe('fulfilled fulfilled rejected fulfilled');
    // Each record sent once: no request the retry failed was sent again caller by caller.
    expect(fake.requests).toEqual([['first'], ['a'], ['sick'], ['b']]);
  });

  it('respects the record limit without splitting one caller', async () => {
    const fake = fakeProducer();
    const gatherer = createRecordGatherer({ producer: fake.producer, maxRecords: 3 });
    await Promise.all([
      gatherer.send([record('x')]),
      gatherer.send([record('a1'), record('a2')]),
      gatherer.send([record('b1'), record('b2')]),
      gatherer.send([record('c1'), record('c2'), record('c3'), record('c4')]),
    ]);
    expect(fake.requests).toEqual([['x'], ['a1', 'a2'], ['b1', 'b2'], ['c1', 'c2', 'c3', 'c4']]);
  });

  it('keeps a request under its byte limit, counting framing, without splitting one caller', async () => {
    const fake = fakeProducer();
    const gatherer = createRecordGatherer({
      producer: fake.producer,
      maxRecords: 100,
      maxBytes: 1000,
    });
    // Each weighs its key, its value (1 byte) and 200 bytes of framing.
    const sized = (key: string, valueBytes: number): KafkaRecord => ({
      ...record(key),
      value: Buffer.alloc(valueBytes),
    });
    await Promise.all([
      gatherer.send([record('first')]),
      gatherer.send([sized('a', 300)]),
      gatherer.send([sized('b', 200)]),
      gatherer.send([sized('c', 100)]),
      gatherer.send([sized('d1', 600), sized('d2', 600)]),
      gatherer.send([record('e')]),
    ]);
    expect(fake.requests).toEqual([['first'], ['a', 'b'], ['c'], ['d1', 'd2'], ['e']]);
  });

  it('by default, gathers no more than PRODUCE_REQUEST_BYTES, under a broker’s 1 MiB batch', async () => {
    const fake = fakeProducer();
    const gatherer = createRecordGatherer({ producer: fake.producer, maxRecords: 500 });
    // 2 KB records, as many as PRODUCE_BATCH_MAX lets through: far over 1 MiB together.
    const records = Array.from({ length: 501 }, (_, i) => ({
      ...record(`k${String(i).padStart(3, '0')}`),
      value: Buffer.alloc(2000),
    }));
    await Promise.all(records.map((r) => gatherer.send([r])));
    const perRequest = fake.requests.slice(1).map((keys) => keys.length);
    expect(Math.max(...perRequest)).toBe(Math.floor(PRODUCE_REQUEST_BYTES / (2000 + 4 + 200)));
    expect(perRequest.reduce((a, b) => a + b, 0)).toBe(500);
    expect(PRODUCE_REQUEST_BYTES).toBeLessThan(1_048_588);
  });

  it('fails every caller when Kafka refuses each of their records', async () => {
    const fake = fakeProducer(() => new Error('broker down'));
    const gatherer = createRecordGatherer({ producer: fake.producer, maxRecords: 100 });
    const all = [
      gatherer.send([record('a')]),
      gatherer.send([record('b')]),
      gatherer.send([record('c')]),
    ];
    for (const r of all) await expect(r).rejects.toThrow('broker down');
    expect(fake.requests).toEqual([['a'], ['b', 'c'], ['b'], ['c']]);
  });

  it('fails every caller of a request that reached no broker at once, without sending each again', async () => {
    const unreachable = new KafkaProduceError('KAFKA_PRODUCE_FAILED', 'connect ETIMEDOUT', {
      retriable: true,
    });
    const fake = fakeProducer((rs) => (rs.length > 1 ? unreachable : undefined));
    const gatherer = createRecordGatherer({ producer: fake.producer, maxRecords: 100 });
    const results = await sendEach(gatherer, ['first', 'a', 'b', 'c']);
    expect(statusesOf(results)).toBe('fulfilled rejected rejected rejected');
    for (const r of results.slice(1)) {
      expect((r as PromiseRejectedResult).reason).toBe(unreachable);
    }
    expect(fake.requests).toEqual([['first'], ['a', 'b', 'c']]);
  });

  it('stops sending callers alone once one of them reached no broker: the rest share its fate', async () => {
    const moved = new KafkaProduceError('NOT_LEADER_OR_FOLLOWER', 'leader moved', {
      retriable: true,
      fromBroker: true,
    });
    const unreachable = new KafkaProduceError('KAFKA_PRODUCE_FAILED', 'connect ETIMEDOUT', {
      retriable: true,
    });
    const fake = fakeProducer((rs) => {
      if (rs.length > 1) return moved;
      return Buffer.from(rs[0]!.key).toString() === 'b' ? unreachable : undefined;
    });
    const gatherer = createRecordGatherer({ producer: fake.producer, maxRecords: 100 });
    const results = await sendEach(gatherer, ['first', 'a', 'b', 'c']);
    expect(statusesOf(results)).toBe('fulfilled fulfilled rejected rejected');
    expect((results[3] as PromiseRejectedResult).reason).toBe(unreachable);
    expect(fake.requests).toEqual([['first'], ['a', 'b', 'c'], ['a'], ['b']]);
  });

  it('isolates a retriable error too, so one held topic does not hold the other lanes', async () => {
    const fake = fakeProducer((rs) =>
      rs.some((r) => r.topic === 'held') ? new Error('NOT_ENOUGH_REPLICAS') : undefined,
    );
    const gatherer = createRecordGatherer({ producer: fake.producer, maxRecords: 100 });
    const results = await sendEach(gatherer, ['first', record('x', 'held'), 'y']);
    expect(statusesOf(results)).toBe('fulfilled rejected fulfilled');
  });

  it('isolates a permanent error to the caller whose record caused it', async () => {
    const tooLarge = new KafkaProduceError('MESSAGE_TOO_LARGE', 'too large', {
      retriable: false,
      fromBroker: true,
    });
    const fake = fakeProducer((rs) =>
      rs.some((r) => Buffer.from(r.key).toString() === 'huge') ? tooLarge : undefined,
    );
    const gatherer = createRecordGatherer({ producer: fake.producer, maxRecords: 100 });
    const results = await sendEach(gatherer, ['warm-up', 'a', 'huge', 'b']);
    expect(statusesOf(results)).toBe('fulfilled fulfilled rejected fulfilled');
    expect(fake.requests).toEqual([['warm-up'], ['a', 'huge', 'b'], ['a'], ['huge'], ['b']]);
  });

  it("gives a request its callers' earliest settle-by time, and none when none has one", async () => {
    const fake = fakeProducer();
    const gatherer = createRecordGatherer({
      producer: fake.producer,
      maxRecords: 100,
      now: () => 0,
    });
    await Promise.all([
      gatherer.send([record('first')]),
      gatherer.send([record('a')], 9_000),
      gatherer.send([record('b')]),
      gatherer.send([record('c')], 7_000),
    ]);
    await gatherer.send([record('d')]);
    expect(fake.requests).toEqual([['first'], ['a', 'b', 'c'], ['d']]);
    expect(fake.settleBys).toEqual([undefined, 7_000, undefined]);
  });

  it('sends each caller alone, by its own time, when a shared request ran out of time', async () => {
    // As the serial producer makes it: no broker's answer.
    const late = new KafkaProduceError('SEND_ABANDONED', 'abandoned', { retriable: true });
    const fake = fakeProducer((rs) => (rs.length > 1 ? late : undefined));
    const gatherer = createRecordGatherer({
      producer: fake.producer,
      maxRecords: 100,
      now: () => 0,
    });
    const results = await Promise.allSettled([
      gatherer.send([record('first')]),
      gatherer.send([record('a')], 5_000),
      gatherer.send([record('b')], 8_000),
    ]);
    expect(statusesOf(results)).toBe('fulfilled fulfilled fulfilled');
    expect(fake.requests).toEqual([['first'], ['a', 'b'], ['a'], ['b']]);
    expect(fake.settleBys).toEqual([undefined, 5_000, 5_000, 8_000]);
  });

  it('sends a caller already past its settle-by time alone, so the others still go together', async () => {
    const tooLate = new KafkaProduceError('SEND_TOO_LATE', 'not sent', { retriable: true });
    const clock = 10_000;
    // As the serial producer does: a request whose time has passed is refused unsent.
    const settleBys: (number | undefined)[] = [];
    const fake = fakeProducer(() => {
      const settleBy = settleBys.shift();
      return settleBy !== undefined && settleBy <= clock ? tooLate : undefined;
    });
    const producer: RecordProducer = {
      ...fake.producer,
      send(records, options) {
        settleBys.push(options?.settleBy);
        return fake.producer.send(records, options);
      },
    };
    const gatherer = createRecordGatherer({ producer, maxRecords: 100, now: () => clock });
    const results = await Promise.allSettled([
      gatherer.send([record('first')]),
      gatherer.send([record('b')], 20_000),
      gatherer.send([record('late')], 5_000),
      gatherer.send([record('c')], 20_000),
      gatherer.send([record('d')]),
    ]);
    expect(statusesOf(results)).toBe('fulfilled fulfilled rejected fulfilled fulfilled');
    expect(fake.requests).toEqual([['first'], ['late'], ['b', 'c', 'd']]);
  });
});
