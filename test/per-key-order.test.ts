// Per-key order under concurrency: 200 keys x 50 versions posted by 32 concurrent clients (each
// key's versions in sequence, as Riak's put FSM hands them over), while the lanes of a few keys
// are held by a topic that refuses writes for a while (it does not exist and the broker does not
// create topics: a retriable UNKNOWN_TOPIC_OR_PARTITION until the test creates it). On Kafka, every
// key's versions must appear in the order the ingest answered them. A version may land again only
// in an in-order replay (A B A B): a produce request that Kafka stored but whose answer came after
// its settle-by time (a loaded machine, WORKER_LOCK 4 s here), or that it refused in part, is sent
// again (README, "Duplicates without a crash").
import { defaultTopic } from '@commitlog/core';
import {
  putCommit,
  startPrivateKafka,
  uniqueName,
  waitFor,
  type PrivateKafka,
  startSystem,
  type RunningSystem,
} from '@commitlog/testkit';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allIdsRead, readUntil, withAdmin } from './support/kafka-check.ts';
import { orderProblemsAllowingReplays } from './support/order-check.ts';

const KEYS = 200;
const VERSIONS = 50;
const CLIENTS = 32;
const HELD_KEYS = 4;

const run = uniqueName('o');
const bucket = `orders-${run}`;
const heldBucket = `held-${run}`;
const heldTopic = `held-${run}`;
const routesFile = join(mkdtempSync(join(tmpdir(), 'commitlog-routes-')), 'routes.json');
writeFileSync(routesFile, JSON.stringify({ routes: [{ bucket: heldBucket, topic: heldTopic }] }));

describe('per-key order, end to end', () => {
  let kafka: PrivateKafka;
  let system: RunningSystem;
  const mainTopic = defaultTopic('default', bucket);

  beforeAll(async () => {
    kafka = await startPrivateKafka({ autoCreateTopics: false });
    await withAdmin(kafka.brokers, (admin) => admin.createTopic(mainTopic, { partitions: 4 }));
    system = await startSystem({
      workers: 2,
      kafkaBrokers: kafka.brokers,
      env: { ROUTES_FILE: routesFile, LANES: '16' },
    });
  });

  afterAll(async () => {
    await system?.stop();
    await kafka?.cleanup();
  });

  it('keeps every key in the order the ingest answered, also while some lanes retry', async () => {
    const keys = [
      ...Array.from({ length: KEYS }, (_, i) => ({ bucket, key: `k${i}` })),
      ...Array.from({ length: HELD_KEYS }, (_, i) => ({ bucket: heldBucket, key: `h${i}` })),
    ];
    const answered = new Map<string, string[]>(keys.map((k) => [`${k.bucket}/${k.key}`, []]));
    let failures = 0;

    const client = async (c: number): Promise<void> => {
      const mine = keys.filter((_, i) => i % CLIENTS === c);
      for (let version = 0; version < VERSIONS; version++) {
        for (const k of mine) {
          const response = await system.post(
            putCommit({ bucket: k.bucket, key: k.key, value: `v${version}` }),
          );
          if (response.status !== 202) {
            failures++;
            continue;
          }
          answered.get(`${k.bucket}/${k.key}`)!.push((response.body as { id: string }).id);
        }
      }
    };
    const posting = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));

    // Let the held lanes retry a while, then let the topic take writes again.
    await waitFor(
      async () => {
        const metrics = await Promise.all(
          system.workers.map((w) =>
            fetch(`http://127.0.0.1:${w.port}/metrics`).then((r) => r.text()),
          ),
        );
        return metrics.some((m) => /commitlog_retries_total\{[^}]*\} [1-9]/.test(m));
      },
      { timeoutMs: 60_000, description: 'a held lane to retry' },
    );
    await withAdmin(kafka.brokers, (a) => a.createTopic(heldTopic, { partitions: 2 }));
    await posting;
    expect(failures).toBe(0);

    const expected = KEYS * VERSIONS;
    const heldExpected = HELD_KEYS * VERSIONS;
    const lastIds = new Set([...answered.values()].flatMap((ids) => ids.slice(-1)));
    const records = await readUntil(
      system.kafkaBrokers,
      [mainTopic, heldTopic],
      allIdsRead(lastIds),
      180_000,
    );
    // Key the records by bucket too, so that the check below sees both topics.
    const byKey = new Map<string, string[]>();
    for (const [k, ids] of answered) byKey.set(k, ids);
    const keyed = records.map((r) => ({
      ...r,
      key: Buffer.from(
        `${r.topic === heldTopic ? heldBucket : bucket}/${Buffer.from(r.key ?? []).toString()}`,
      ),
    }));
    const problems = orderProblemsAllowingReplays(byKey, keyed);
    expect(problems, problems.slice(0, 3).join('; ')).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(expected + heldExpected);
  }, 300_000);
});
