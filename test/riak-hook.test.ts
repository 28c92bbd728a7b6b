// The Riak hook end to end: an Erlang VM loads the hook (and a stand-in for Riak's riak_object),
// calls postcommit/1 on objects as Riak's put FSM would, and the records arrive on Kafka through
// the real ingest and worker. With the ingest down, the commits land in the hook's failure log,
// and `commitlog requeue` delivers them.
import { defaultTopic } from '@commitlog/core';
import {
  NOTHING_LISTENS_PORT,
  startSystem,
  uniqueName,
  type RunningSystem,
} from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHook, hookObjects, runHook } from './support/hook-runner.ts';
import { header, readUntil, text, withAdmin } from './support/kafka-check.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'commitlog-hook-'));

describe('the Riak hook, end to end', () => {
  let system: RunningSystem;
  let paths: string[];
  const run = uniqueName('hook');
  const bucket = `payments-${run}`;
  const typedBucket = `accounts-${run}`;
  const topics = [defaultTopic('default', bucket), defaultTopic('maps', typedBucket)];

  beforeAll(async () => {
    paths = buildHook(work);
    system = await startSystem();
    await withAdmin(system.kafkaBrokers, async (a) => {
      for (const t of topics) await a.createTopic(t, { partitions: 1 });
    });
  });

  afterAll(async () => {
    if (!system) return;
    await system.stop();
    await withAdmin(system.kafkaBrokers, (a) => a.deleteTopics(topics));
  });

  it('delivers puts, siblings (a tombstone among them), typed buckets and deletes through the ingest', async () => {
    const erlang = [
      hookObjects(bucket, ['k0', 'k1', 'k2']),
      // Two siblings of one key, as after concurrent writes.
      `S = riak_object:set_contents(O1, [{MD("text/plain", <<"sa">>), <<"left">>}, {MD("text/plain", <<"sb">>), <<"right">>}])`,
      `T = VC(riak_object:new({<<"maps">>, <<"${typedBucket}">>}, <<"acc-1">>, <<"typed">>, MD("text/plain", <<"tt">>)))`,
      `D = riak_object:set_contents(O0, [{dict:store(<<"X-Riak-Deleted">>, "true", MD("application/json", <<"td">>)), <<>>}])`,
      // A delete that raced a write under allow_mult: a live sibling beside a tombstone.
      `R = riak_object:set_contents(O2, [{MD("text/plain", <<"live">>), <<"kept">>}, {dict:store(<<"X-Riak-Deleted">>, "true", MD("text/plain", <<"gone">>)), <<>>}])`,
      // Bytes that are not UTF-8 in the key, the value and the metadata: a content type, a vtag,
      // a usermeta value; and a content encoding.
      `Bin = VC(riak_object:new(<<"${bucket}">>, <<255, 0, 1>>, <<0, 1, 2, 255>>, dict:store(<<"content-encoding">>, "gzip", dict:store(<<"X-Riak-Meta">>, [{<<"X-Riak-Meta-Raw">>, <<250, 1>>}], MD(<<"application/x-", 200>>, <<"t", 255>>)))))`,
      `[ok = commitlog_hook:postcommit(O) || O <- [O0, S, T, D, R, Bin]]`,
    ].join(',\n');
    runHook(
      paths,
      {
        COMMITLOG_INGEST_URL: system.ingestUrl,
        COMMITLOG_SECRET: system.secret,
        COMMITLOG_FAILURE_LOG: join(work, 'unused.jsonl'),
        // The longest hand-off the hook takes: on a loaded machine a cold first request could
        // pass the production 500 ms and go to the failure log, opening the breaker for the rest.
        COMMITLOG_CONNECT_TIMEOUT_MS: '5000',
        COMMITLOG_REQUEST_TIMEOUT_MS: '5000',
        COMMITLOG_RETRY_BUDGET_MS: '5000',
      },
      erlang,
    );

    const records = await readUntil(system.kafkaBrokers, topics, (rs) => rs.length >= 6);
    const main = records.filter((r) => r.topic === topics[0]);
    const byKey = (hex: string) =>
      main.filter((r) => Buffer.from(r.key ?? []).toString('hex') === hex);
    // k0: the put, then its delete (one key, one lane: in order).
    const k0 = byKey(Buffer.from('k0').toString('hex'));
    expect(k0.map((r) => header(r, 'riak-op'))).toEqual(['put', 'delete']);
    expect(text(k0[0]!.value)).toBe('{"n":0}');
    expect(header(k0[0]!, 'riak-vclock')).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(k0[1]!.value).toBeNull();
    // k1: both siblings, in an envelope.
    const [k1] = byKey(Buffer.from('k1').toString('hex'));
    const siblings = JSON.parse(text(k1!.value) ?? '') as { siblings: { value: string }[] };
    expect(siblings.siblings.map((s) => Buffer.from(s.value, 'base64').toString())).toEqual([
      'left',
      'right',
    ]);
    expect(header(k1!, 'riak-siblings')).toBe('2');
    // k2: a put whose tombstone sibling says so (deleted: true), the live one does not.
    const [k2] = byKey(Buffer.from('k2').toString('hex'));
    expect(header(k2!, 'riak-op')).toBe('put');
    const raced = JSON.parse(text(k2!.value) ?? '') as {
      siblings: { value: string; vtag: string; deleted?: boolean }[];
    };
    expect(raced.siblings.map((s) => [s.vtag, s.value, s.deleted])).toEqual([
      ['live', Buffer.from('kept').toString('base64'), undefined],
      ['gone', '', true],
    ]);
    // A key, a value and metadata that are not UTF-8, byte for byte.
    const [binary] = byKey('ff0001');
    expect(Buffer.from(binary!.value ?? [])).toEqual(Buffer.from([0, 1, 2, 255]));
    const raw = (name: string) => Buffer.from(binary!.headers[name] ?? []);
    expect(raw('content-type')).toEqual(Buffer.from([...Buffer.from('application/x-'), 200]));
    expect(raw('riak-vtag')).toEqual(Buffer.from([0x74, 255]));
    expect(header(binary!, 'content-encoding')).toBe('gzip');
    expect(header(k0[0]!, 'content-encoding')).toBeUndefined();
    expect(JSON.parse(header(binary!, 'riak-usermeta') ?? '')).toEqual({
      'X-Riak-Meta-Raw': { base64: Buffer.from([250, 1]).toString('base64') },
    });
    expect(main).toHaveLength(5);
    const typed = records.filter((r) => r.topic === topics[1]);
    expect(typed.map((r) => text(r.value))).toEqual(['typed']);
    expect(header(typed[0]!, 'riak-bucket-type')).toBe('maps');
  });

  it('writes the failure log while the ingest is down, and requeue delivers every line', async () => {
    const failureLog = join(work, 'failed.jsonl');
    const keys = ['down-1', 'down-2', 'down-3'];
    runHook(
      paths,
      {
        COMMITLOG_INGEST_URL: `http://127.0.0.1:${NOTHING_LISTENS_PORT}`,
        COMMITLOG_SECRET: system.secret,
        COMMITLOG_FAILURE_LOG: failureLog,
      },
      `${hookObjects(bucket, keys)},\n[ok = commitlog_hook:postcommit(O) || O <- [O0, O1, O2]]`,
    );

    const lines = readFileSync(failureLog, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    const parsed = lines.map((l) => JSON.parse(l) as { reason: string; commit: { key: string } });
    expect(parsed.map((p) => p.commit.key)).toEqual(keys);

    const requeue = spawnSync(process.execPath, ['apps/cli/src/main.ts', 'requeue', failureLog], {
      cwd: root,
      env: { ...process.env, INGEST_URL: system.ingestUrl, INGEST_SECRETS: system.secret },
      encoding: 'utf8',
    });
    expect(requeue.status, requeue.stderr).toBe(0);
    expect(requeue.stdout).toContain('3 accepted');

    const records = await readUntil(system.kafkaBrokers, [topics[0]!], (rs) =>
      keys.every((k) => rs.some((r) => text(r.key) === k)),
    );
    for (const k of keys) expect(records.filter((r) => text(r.key) === k)).toHaveLength(1);
  });
});
