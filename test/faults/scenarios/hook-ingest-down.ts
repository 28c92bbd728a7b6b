// Row 11: the Riak hook while the ingest is down. The hook (in a real Erlang VM) cannot hand its
// commits off, so every one lands in its failure log, and it returns at once (Riak is never
// blocked: each postcommit/1 returns within the hook's retry budget, HANDOFF_BOUND_MS). Then
// `commitlog requeue` replays the log through the ingest: every commit reaches Kafka.
import { commitId, parseCommit } from '@commitlog/core';
import { NOTHING_LISTENS_PORT } from '@commitlog/testkit';
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

/** The hook's retry budget for the row (COMMITLOG_RETRY_BUDGET_MS; its default, set explicitly). */
const RETRY_BUDGET_MS = 500;
/**
 * How long one postcommit/1 may hold Riak's put process. A semantic bound, not a performance
 * threshold: the hook documents that a hand-off takes at most about `retry_budget_ms` + 10 ms
 * (commitlog_ingest_client: every attempt's timeout is cut to what the budget leaves, the first
 * attempt gets at least MIN_ATTEMPT_MS, 10 ms), and that postcommit/1 "never holds Riak longer
 * than the retry budget". The margin, 1000 ms (twice the budget), covers what the budget leaves
 * out (building the JSON, appending the failure-log line, logging; the first call loads the
 * hook's modules) on a loaded 2-core machine; a hook that waited on the absent ingest past its
 * budget (a request or connect time-out not cut to it, a retry loop not bounded by it, a sleep
 * for a Retry-After) would take seconds and fail it.
 */
const HANDOFF_BOUND_MS = RETRY_BUDGET_MS + 10 + 1_000;

/** The `handoff-us N` lines the row's Erlang prints: how long each postcommit/1 took, in µs. */
export function handoffMicros(output: string): number[] {
  return [...output.matchAll(/^handoff-us (\d+)$/gm)].map((m) => Number(m[1]));
}

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
        // Each postcommit/1 timed where Riak's put process would call it (timer:tc, wall clock).
        const output = runHook(
          paths,
          {
            COMMITLOG_INGEST_URL: `http://127.0.0.1:${NOTHING_LISTENS_PORT}`, // nothing listens
            COMMITLOG_SECRET: cluster.system.secret,
            COMMITLOG_FAILURE_LOG: failureLog,
            COMMITLOG_RETRY_BUDGET_MS: String(RETRY_BUDGET_MS),
          },
          `${hookObjects(cluster.bucket, keys)},\n` +
            `[begin {Us, ok} = timer:tc(commitlog_hook, postcommit, [O]), ` +
            `io:format("handoff-us ~b~n", [Us]) end || O <- [${objects}]]`,
        );
        const handoffsMs = handoffMicros(output).map((us) => us / 1000);
        const slow = handoffsMs.filter((ms) => ms > HANDOFF_BOUND_MS);
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
              `postcommit/1 took at most ${Math.max(...handoffsMs).toFixed(0)} ms ` +
                `(bound ${HANDOFF_BOUND_MS} ms: retry budget ${RETRY_BUDGET_MS} ms + 10 ms + margin)`,
              `requeue: ${requeue.stdout.trim().split('\n').pop()}`,
            ],
          },
        );
        if (lines.length !== options.commits) {
          result.problems.push(`${lines.length} failure-log lines for ${options.commits} commits`);
        }
        // Each commit's own line: a log holding one commit twice and another not at all has the
        // right count, and the one left out would never be checked for loss.
        const logged = new Set(tally.accepted.map((a) => a.key));
        const missing = keys.filter((key) => !logged.has(key));
        if (missing.length > 0) {
          result.problems.push(
            `commits with no failure-log line: ${missing.slice(0, 5).join(', ')}`,
          );
        }
        if (handoffsMs.length !== options.commits) {
          result.problems.push(
            `${handoffsMs.length} hand-offs timed for ${options.commits} commits`,
          );
        }
        if (slow.length > 0) {
          result.problems.push(
            `${slow.length} hand-offs held Riak past ${HANDOFF_BOUND_MS} ms (longest ` +
              `${Math.max(...slow).toFixed(0)} ms): the hook blocked beyond its retry budget`,
          );
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
