// The Riak hook to an ingest that serves TLS, end to end: the hook (Erlang, its own TLS client)
// verifies the ingest's certificate against the CA it is given and the host name it dials, and
// its commits reach Kafka through the real ingest and worker. Given another CA, it refuses the
// handshake: the commits go to its failure log, and `commitlog requeue` over https, trusting the
// right CA, delivers them.
import { defaultTopic } from '@commitlog/core';
import {
  makeTestCertificates,
  startSystem,
  uniqueName,
  type RunningSystem,
} from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHook, hookObjects, runHook } from './support/hook-runner.ts';
import { readUntil, text, withAdmin } from './support/kafka-check.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'commitlog-hook-tls-'));

describe('the Riak hook to an ingest over TLS', () => {
  let system: RunningSystem;
  let paths: string[];
  let caFile: string;
  let otherCaFile: string;
  const bucket = `payments-${uniqueName('tls')}`;
  const topic = defaultTopic('default', bucket);

  beforeAll(async () => {
    paths = buildHook(work);
    const dir = (name: string): string => {
      mkdirSync(join(work, name));
      return join(work, name);
    };
    const certs = await makeTestCertificates(dir('ingest'));
    // Another CA, which did not sign the ingest's certificate.
    const other = await makeTestCertificates(dir('other'));
    caFile = certs.caFile;
    otherCaFile = other.caFile;
    system = await startSystem({
      ingestTls: { certFile: certs.certFile, keyFile: certs.keyFile },
    });
    await withAdmin(system.kafkaBrokers, (a) => a.createTopic(topic, { partitions: 1 }));
  });

  afterAll(async () => {
    if (!system) return;
    await system.stop();
    await withAdmin(system.kafkaBrokers, (a) => a.deleteTopics([topic]));
  });

  /** The ingest's https address under the name its certificate carries beside 127.0.0.1. */
  const byName = (): string => system.ingestUrl.replace('127.0.0.1', 'localhost');

  const hookEnv = (ca: string, failureLog: string): Record<string, string> => ({
    COMMITLOG_INGEST_URL: byName(),
    COMMITLOG_CA_FILE: ca,
    COMMITLOG_SECRET: system.secret,
    COMMITLOG_FAILURE_LOG: failureLog,
    // A loaded machine's first handshake may take longer than the production 200 ms.
    COMMITLOG_CONNECT_TIMEOUT_MS: '5000',
    COMMITLOG_REQUEST_TIMEOUT_MS: '5000',
    COMMITLOG_RETRY_BUDGET_MS: '5000',
  });

  it('delivers commits through an ingest whose certificate it verifies', async () => {
    expect(system.ingestUrl).toMatch(/^https:\/\//);
    const unused = join(work, 'unused.jsonl');
    runHook(
      paths,
      hookEnv(caFile, unused),
      `${hookObjects(bucket, ['t0', 't1'])},\n[ok = commitlog_hook:postcommit(O) || O <- [O0, O1]]`,
    );
    const records = await readUntil(system.kafkaBrokers, [topic], (rs) => rs.length >= 2);
    expect(records.map((r) => text(r.key))).toEqual(['t0', 't1']);
    expect(() => readFileSync(unused)).toThrow(/ENOENT/);
  });

  it('refuses an ingest its CA did not sign, keeps the commits, and requeue over https delivers them', async () => {
    const failureLog = join(work, 'refused.jsonl');
    runHook(
      paths,
      hookEnv(otherCaFile, failureLog),
      `${hookObjects(bucket, ['r0'])},\n[ok = commitlog_hook:postcommit(O) || O <- [O0]]`,
    );
    const lines = readFileSync(failureLog, 'utf8').trim().split('\n');
    const kept = lines.map((l) => JSON.parse(l) as { reason: string; commit: { key: string } });
    expect(kept.map((k) => [k.reason, k.commit.key])).toEqual([['tls_failed', 'r0']]);

    const requeue = spawnSync(process.execPath, ['apps/cli/src/main.ts', 'requeue', failureLog], {
      cwd: root,
      env: {
        ...process.env,
        INGEST_URL: byName(),
        INGEST_SECRETS: system.secret,
        NODE_EXTRA_CA_CERTS: caFile,
      },
      encoding: 'utf8',
    });
    expect(requeue.status, requeue.stderr).toBe(0);
    const records = await readUntil(system.kafkaBrokers, [topic], (rs) =>
      rs.some((r) => text(r.key) === 'r0'),
    );
    expect(records.filter((r) => text(r.key) === 'r0')).toHaveLength(1);
  });
});
