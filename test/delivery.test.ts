// The delivery path end to end: signed POSTs to the real ingest process, real worker processes,
// the real Redis and Kafka; what arrives on Kafka is compared byte for byte with what was posted.
import { defaultTopic } from '@commitlog/core';
import type { CollectedRecord } from '@commitlog/kafka';
import {
  deleteCommit,
  putCommit,
  uniqueName,
  wireBinary,
  startSystem,
  type RunningSystem,
} from '@commitlog/testkit';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header, readUntil, text, withAdmin } from './support/kafka-check.ts';

// Both Kafka clients the worker can run (KAFKA_CLIENT; the default first), byte for byte.
describe.each(['platformatic', 'kafkajs'])('delivery, end to end (worker on %s)', (client) => {
  const run = uniqueName('d');
  const mergedTopic = `merged-${run}`;
  const routesFile = join(mkdtempSync(join(tmpdir(), 'commitlog-routes-')), 'routes.json');
  writeFileSync(
    routesFile,
    JSON.stringify({
      routes: [
        { bucket: `orders-a-${run}`, topic: mergedTopic },
        { bucket: `orders-b-${run}`, topic: mergedTopic },
      ],
    }),
  );

  let system: RunningSystem;
  const topics: string[] = [];

  beforeAll(async () => {
    system = await startSystem({ env: { ROUTES_FILE: routesFile, KAFKA_CLIENT: client } });
  });

  afterAll(async () => {
    if (!system) return;
    await system.stop();
    if (topics.length > 0) await withAdmin(system.kafkaBrokers, (a) => a.deleteTopics(topics));
  });

  async function topic(name: string): Promise<string> {
    await withAdmin(system.kafkaBrokers, (a) => a.createTopic(name, { partitions: 3 }));
    topics.push(name);
    return name;
  }

  async function accepted(commit: unknown): Promise<{ id: string; lane: number }> {
    const response = await system.post(commit);
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    return response.body as { id: string; lane: number };
  }

  it('round-trips keys, values and bucket names byte for byte, with every header', async () => {
    const bucket = `zahlungen-ü-€-${run}`;
    const t = await topic(defaultTopic('default', bucket));
    const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
    const big = randomBytes(900 * 1024);
    const binaryKey = Uint8Array.from([0xff, 0x00, 0xc3, 0x28, 0x41]);
    const cases = [
      {
        key: wireBinary(binaryKey),
        keyBytes: Buffer.from(binaryKey),
        value: Buffer.from(everyByte),
      },
      { key: 'empty-value', keyBytes: Buffer.from('empty-value'), value: Buffer.alloc(0) },
      { key: 'big-value', keyBytes: Buffer.from('big-value'), value: big },
      { key: 'ключ-🔑', keyBytes: Buffer.from('ключ-🔑'), value: Buffer.from('{"amount":100}') },
    ];
    const posted = [];
    for (const c of cases) {
      const commit = putCommit({
        bucket,
        key: c.key,
        value: c.value,
        contentType: 'application/octet-stream',
      });
      if (c.key === 'ключ-🔑') {
        // Riak's user metadata and secondary index entries: part of what was committed. Riak takes
        // any usermeta name, `__proto__` too (computed, so that it is an own key, as JSON's).
        commit.siblings[0] = {
          ...commit.siblings[0]!,
          usermeta: { origin: 'api', ['__proto__']: 'any name', 'x-kanal': 'büro' },
          indexes: { customer_bin: ['c-9'], amount_int: ['100'] },
        };
      }
      posted.push({ ...c, commit, answer: await accepted(commit) });
    }

    const records = await readUntil(system.kafkaBrokers, [t], (rs) => rs.length >= cases.length);
    expect(records).toHaveLength(cases.length);
    for (const p of posted) {
      const record = records.find((r) => Buffer.from(r.key ?? []).equals(p.keyBytes));
      expect(record, `record for key ${p.keyBytes.toString('hex')}`).toBeDefined();
      const r = record!;
      expect(Buffer.from(r.value ?? []).equals(p.value)).toBe(true);
      const sibling = p.commit.siblings[0]!;
      expect(header(r, 'riak-op')).toBe('put');
      expect(header(r, 'riak-bucket-type')).toBe('default');
      expect(header(r, 'riak-bucket')).toBe(bucket);
      expect(header(r, 'riak-vclock')).toBe(p.commit.vclock);
      expect(header(r, 'riak-vtag')).toBe(sibling.vtag);
      expect(header(r, 'riak-last-modified')).toBe(sibling.lastModified);
      expect(header(r, 'content-type')).toBe('application/octet-stream');
      expect(header(r, 'riak-siblings')).toBe('1');
      const { usermeta, indexes } = sibling;
      expect(header(r, 'riak-usermeta')).toBe(usermeta && JSON.stringify(usermeta));
      expect(header(r, 'riak-indexes')).toBe(indexes && JSON.stringify(indexes));
      expect(header(r, 'commitlog-id')).toBe(p.answer.id);
      expect(Date.parse(header(r, 'commitlog-received-at') ?? '')).not.toBeNaN();
    }
  });

  it('turns a delete into a tombstone and keeps every sibling of a put', async () => {
    const bucket = `ledger-${run}`;
    const t = await topic(defaultTopic('default', bucket));
    const siblings = ['first', 'second', 'third'].map((v, i) => ({
      value: Buffer.from(v).toString('base64'),
      contentType: 'text/plain',
      vtag: `v${i}`,
      lastModified: `2026-11-24T12:00:0${i}.000000Z`,
    }));
    await accepted(putCommit({ bucket, key: 'conflicted', siblings }));
    await accepted(deleteCommit({ bucket, key: 'gone' }));

    const records = await readUntil(system.kafkaBrokers, [t], (rs) => rs.length >= 2);
    const byKey = new Map(records.map((r) => [text(r.key), r]));
    const tombstone = byKey.get('gone')!;
    expect(tombstone.value).toBeNull();
    expect(header(tombstone, 'riak-op')).toBe('delete');

    const envelope = byKey.get('conflicted')!;
    expect(header(envelope, 'riak-siblings')).toBe('3');
    const body = JSON.parse(text(envelope.value) ?? '') as {
      siblings: { value: string; vtag: string }[];
    };
    expect(body.siblings.map((s) => Buffer.from(s.value, 'base64').toString())).toEqual([
      'first',
      'second',
      'third',
    ]);
    expect(body.siblings.map((s) => s.vtag)).toEqual(['v0', 'v1', 'v2']);
  });

  it('routes a typed bucket to its own topic, and two buckets to one topic by the routes file', async () => {
    const typedBucket = `accounts-${run}`;
    const typed = await topic(defaultTopic('maps', typedBucket));
    const merged = await topic(mergedTopic);
    await accepted(putCommit({ bucketType: 'maps', bucket: typedBucket, key: 'acc-1' }));
    await accepted(putCommit({ bucket: `orders-a-${run}`, key: 'a-1' }));
    await accepted(putCommit({ bucket: `orders-b-${run}`, key: 'b-1' }));

    const typedRecords = await readUntil(system.kafkaBrokers, [typed], (rs) => rs.length >= 1);
    expect(typedRecords.map((r) => header(r, 'riak-bucket-type'))).toEqual(['maps']);
    const mergedRecords: CollectedRecord[] = await readUntil(
      system.kafkaBrokers,
      [merged],
      (rs) => rs.length >= 2,
    );
    expect(mergedRecords.map((r) => text(r.key)).sort()).toEqual(['a-1', 'b-1']);
  });

  it('answers a commit posted twice as a duplicate and delivers it once', async () => {
    const bucket = `dupes-${run}`;
    const t = await topic(defaultTopic('default', bucket));
    const commit = putCommit({ bucket, key: 'twice' });
    const first = await system.post(commit);
    const second = await system.post(commit);
    expect(first.body).toMatchObject({ duplicate: false });
    expect(second.body).toMatchObject({ duplicate: true, id: (first.body as { id: string }).id });
    // A newer version of the same key travels the same lane and partition after the first, so
    // once it is on Kafka, a second delivery of the first would already be there too.
    const newer = await accepted(putCommit({ bucket, key: 'twice' }));
    const records = await readUntil(system.kafkaBrokers, [t], (rs) =>
      rs.some((r) => header(r, 'commitlog-id') === newer.id),
    );
    expect(records.map((r) => header(r, 'commitlog-id'))).toEqual([
      (first.body as { id: string }).id,
      newer.id,
    ]);
  });
});
