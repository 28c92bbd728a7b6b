// Row 11: the Riak hook while the ingest is down. The hook (in a real Erlang VM) cannot hand its
// commits off, so every one lands in its failure log, and it returns at once (Riak is never
// blocked). Then `commitlog requeue` replays the log through the ingest: every commit reaches Kafka.
import { commitId, parseCommit } from '@commitlog/core';
import { freePort } from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildHook, hookObjects, runHook } from '../../support/hook-runner.ts';
import { startFaultCluster } from '../fault-cluster.ts';
import type { LoadTally } from '../fault-load.ts';
import { rowResult, type Scenario } from '../row-result.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The tally of commits read from a failure log, as if a load had had them accepted. */
function tallyOf(lines: string[]): LoadTally {
  const tally: LoadTally = {
    generated: lines.length,
    accepted: [],
    refusals: new Map(),
    abandoned: 0,
    perKey: new Map(),
  };
  for (const line of lines) {
    const commit = parseCommit((JSON.parse(line) as { commit: unknown }).commit);
    const id = commitId(commit);
    const key = typeof commit.key === 'string' ? commit.key : JSON.stringify(commit.key);
    tally.accepted.push({
      id,
      key,
      generatedAt: 0,
      sentAt: 0,
      answeredAt: 0,
      duplicate: false,
      tries: 1,
    });
    tally.perKey.set(key, [id]);
  }
  return tally;
}

export function hookIngestDown(options: { commits: number }): Scenario {
  return {
    row: '11',
    title: 'the Riak hook with the ingest down; requeue',
    async run({ log }) {
      const cluster = await startFaultCluster({ workers: 1 });
      const work = await mkdtemp(join(tmpdir(), 'commitlog-faults-hook-'));
      try {
        const paths = buildHook(work);
        const failureLog = join(work, 'failed.jsonl');
        const keys = Array.from({ length: options.commits }, (_, i) => `hook-${i}`);
        const objects = keys.map((_, i) => `O${i}`).join(', ');
        runHook(
          paths,
          {
            COMMITLOG_INGEST_URL: `http://127.0.0.1:${await freePort()}`, // nothing listens
            COMMITLOG_SECRET: cluster.system.secret,
            COMMITLOG_FAILURE_LOG: failureLog,
          },
          `${hookObjects(cluster.bucket, keys)},\n[ok = commitlog_hook:postcommit(O) || O <- [${objects}]]`,
        );
        const lines = (await readFile(failureLog, 'utf8')).trim().split('\n');
        log(`${lines.length} lines in the failure log; requeue`);
        const faultEndedAt = Date.now();
        const requeue = spawnSync(
          process.execPath,
          ['apps/cli/src/main.ts', 'requeue', failureLog],
          {
            cwd: root,
            env: {
              ...process.env,
              INGEST_URL: cluster.system.ingestUrl,
              INGEST_SECRETS: cluster.system.secret,
            },
            encoding: 'utf8',
          },
        );
        const tally = tallyOf(lines);
        const report = await cluster.check(tally, faultEndedAt);
        const result = rowResult(
          '11',
          `hook, ingest down: ${options.commits} commits`,
          tally,
          report,
          {
            notes: [
              `failure log lines: ${lines.length}`,
              `requeue: ${requeue.stdout.trim().split('\n').pop()}`,
            ],
          },
        );
        if (lines.length !== options.commits) {
          result.problems.push(`${lines.length} failure-log lines for ${options.commits} commits`);
        }
        if (requeue.status !== 0)
          result.problems.push(`requeue exited ${requeue.status}: ${requeue.stderr}`);
        return [result];
      } finally {
        await cluster.stop();
        await rm(work, { recursive: true, force: true });
      }
    },
  };
}
