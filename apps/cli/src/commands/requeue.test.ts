// requeue against a small HTTP server standing in for the ingest: batching, retries on 5xx, giving
// up, and stopping on a refused signature. The end-to-end test (test/requeue.test.ts) runs it
// against the real ingest.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { requeue } from './requeue.ts';

const commit = (key: string) => ({
  bucketType: 'default',
  bucket: 'b',
  key,
  op: 'delete',
  siblings: [],
});

function failureLog(keys: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'requeue-')), 'failed.jsonl');
  writeFileSync(
    file,
    keys.map((k) => JSON.stringify({ reason: 'timeout', commit: commit(k) })).join('\n'),
  );
  return file;
}

/** A fake ingest answering each request with the next of `statuses` (then 202). */
async function fakeIngest(
  statuses: number[],
): Promise<{ url: string; server: Server; batches: number[] }> {
  const batches: number[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const status = statuses.shift() ?? 202;
      const commits = (JSON.parse(body) as { commits?: unknown[] }).commits ?? [body];
      if (status === 202) batches.push(commits.length);
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(
        JSON.stringify(
          status === 202
            ? { results: commits.map(() => ({ id: 'x', lane: 0, duplicate: false })) }
            : { error: { code: `E${status}`, message: 'no' } },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server, batches };
}

describe('requeue', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  async function replay(statuses: number[], keys: string[], extra: { maxTries?: number } = {}) {
    const ingest = await fakeIngest(statuses);
    servers.push(ingest.server);
    const out: string[] = [];
    const run = requeue({
      file: failureLog(keys),
      repoRoot: '/nonexistent',
      env: { INGEST_URL: ingest.url, INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters' },
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      batchCommits: 2,
      sleep: () => Promise.resolve(),
      ...extra,
    });
    return { run, out, batches: ingest.batches };
  }

  it('sends batches of at most batchCommits, in file order, with a progress line each', async () => {
    const { run, out, batches } = await replay([], ['a', 'b', 'c', 'd', 'e']);
    await run;
    expect(batches).toEqual([2, 2, 1]);
    expect(out.filter((l) => l.startsWith('requeue: ') && l.includes('lines read'))).toHaveLength(
      3,
    );
    expect(out.at(-1)).toContain('5 accepted');
  });

  it('retries a batch answered 503, 502 or 500 until it is accepted', async () => {
    const { run, batches } = await replay([503, 502, 500], ['a', 'b']);
    await run;
    expect(batches).toEqual([2]);
  });

  it('gives up after maxTries and says from which line nothing was sent', async () => {
    const { run } = await replay([503, 503, 503], ['a', 'b', 'c'], { maxTries: 3 });
    await expect(run).rejects.toThrow(/did not take the commits from line 1 after 3 tries/);
  });

  it('stops at once when the ingest refuses the signature', async () => {
    const { run } = await replay([401], ['a']);
    await expect(run).rejects.toBeInstanceOf(CliError);
    await expect(run).rejects.toThrow(/refused the requests: 401 E401/);
  });
});
