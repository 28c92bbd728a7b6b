// `commitlog requeue FILE`, as a process against the running system: replays a failure log in
// signed batches, reports malformed and refused lines by number, exits non-zero unless all were
// accepted, and is idempotent (a second run stores nothing twice).
import { defaultTopic } from '@commitlog/core';
import { putCommit, startSystem, uniqueName, type RunningSystem } from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allIdsRead, header, readUntil, withAdmin } from './support/kafka-check.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('commitlog requeue', () => {
  let system: RunningSystem;
  const bucket = uniqueName('requeue');
  const topic = defaultTopic('default', bucket);
  const dir = mkdtempSync(join(tmpdir(), 'commitlog-requeue-'));

  beforeAll(async () => {
    system = await startSystem();
    await withAdmin(system.kafkaBrokers, (a) => a.createTopic(topic, { partitions: 1 }));
  });

  afterAll(async () => {
    if (!system) return;
    await system.stop();
    await withAdmin(system.kafkaBrokers, (a) => a.deleteTopics([topic]));
  });

  function requeue(file: string) {
    return spawnSync(process.execPath, ['apps/cli/src/main.ts', 'requeue', file], {
      cwd: root,
      env: { ...process.env, INGEST_URL: system.ingestUrl, INGEST_SECRETS: system.secret },
      encoding: 'utf8',
    });
  }

  const line = (commit: unknown) =>
    JSON.stringify({ failedAt: '2026-11-24T12:00:00.000000Z', reason: 'breaker_open', commit });

  it('replays good lines, reports bad ones by number, and is idempotent', async () => {
    const good = Array.from({ length: 5 }, (_, i) => putCommit({ bucket, key: `k${i}` }));
    const file = join(dir, 'failed.jsonl');
    writeFileSync(
      file,
      [
        line(good[0]),
        line(good[1]),
        '{"failedAt": "2026-11-24T12:00:00Z", "commit": {"bucket"', // line 3: cut short
        line(good[2]),
        '',
        // Line 6: the ingest refuses it. A key of its own: a later line of its key would be held
        // behind it, in FILE.refused (requeue.test.ts in apps/cli checks that).
        line({ ...putCommit({ bucket, key: 'bad' }), op: 'frobnicate' }),
        line(good[3]),
        line(good[4]),
        line(good[0]), // posted twice in one log: stored once
      ].join('\n'),
    );

    const first = requeue(file);
    expect(first.status).toBe(1);
    expect(first.stderr).toContain('line 3: not valid JSON (skipped)');
    expect(first.stderr).toMatch(/line 6: refused by the ingest: 400 INVALID_COMMIT: op/);
    expect(first.stdout).toMatch(/^requeue: \d+ lines read, /m);
    expect(first.stderr).toContain('8 commits in');
    expect(first.stderr).toContain('malformed (lines 3)');
    expect(first.stderr).toContain('refused (lines 6)');

    // A newer commit of each key travels its key's lane after the replayed one: once all five are
    // on Kafka, every record of the replayed commits, duplicates included, has been read.
    const markers = new Set<string>();
    /** Posts a newer commit of each key and reads the topic until they are all on it. */
    const readPastMarkers = async () => {
      for (let i = 0; i < 5; i++) {
        const answer = await system.post(putCommit({ bucket, key: `k${i}` }));
        expect(answer.status).toBe(202);
        markers.add((answer.body as { id: string }).id);
      }
      const records = await readUntil(system.kafkaBrokers, [topic], allIdsRead(markers));
      return records.filter((r) => !markers.has(header(r, 'commitlog-id') ?? ''));
    };
    const replayed = await readPastMarkers();
    expect(new Set(replayed.map((r) => header(r, 'commitlog-id'))).size).toBe(5);
    expect(replayed).toHaveLength(5);

    const clean = join(dir, 'clean.jsonl');
    writeFileSync(clean, good.map(line).join('\n') + '\n');
    const again = requeue(clean);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      '5 accepted (5 of them accepted before: delivered, on their way or failed;',
    );
    // What Kafka holds, not only what the CLI says: the second run delivered nothing again.
    expect(await readPastMarkers()).toHaveLength(5);
  });

  it('exits non-zero with one readable line for a missing file', () => {
    const result = requeue(join(dir, 'nope.jsonl'));
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^commitlog: cannot read .*nope\.jsonl/);
  });
});
