// requeue against a small HTTP server standing in for the ingest: batching, retries on 5xx, giving
// up, and stopping on a refused signature. The end-to-end test (test/requeue.test.ts) runs it
// against the real ingest.
import { createServer, type Server } from 'node:http';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import type { TooLongLine } from '../file-lines.ts';
import { MAX_LINE_BYTES, readFailureLogLine } from '../failure-log.ts';
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

/** An answer of the fake ingest: a status (its error code `E<status>`), or a status and code. */
type FakeAnswer = number | { status: number; code: string };

/**
 * A fake ingest answering each request with the next of `statuses` (then 202). `batches` has
 * the size of each accepted request, `keys` the keys of its commits in the order sent.
 */
async function fakeIngest(statuses: FakeAnswer[]): Promise<{
  url: string;
  server: Server;
  batches: number[];
  keys: string[][];
  requests: () => number;
}> {
  const batches: number[] = [];
  const keys: string[][] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const answer = statuses.shift() ?? 202;
      const { status, code } =
        typeof answer === 'number' ? { status: answer, code: `E${answer}` } : answer;
      const parsed = JSON.parse(body) as { commits?: { key: string }[]; key?: string };
      const commits = parsed.commits ?? [parsed as { key: string }];
      if (status === 202) {
        batches.push(commits.length);
        keys.push(commits.map((c) => c.key));
      }
      res.writeHead(status, {
        'content-type': 'application/json',
        'retry-after': '1',
        ...(status === 301 ? { location: '/elsewhere' } : {}),
      });
      res.end(
        JSON.stringify(
          status === 202
            ? { results: commits.map(() => ({ id: 'x', lane: 0, duplicate: false })) }
            : { error: { code, message: 'no' } },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server, batches, keys, requests: () => requests };
}

describe('requeue', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  async function replay(statuses: FakeAnswer[], keys: string[], extra: { maxTries?: number } = {}) {
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
    return { run, out, batches: ingest.batches, keys: ingest.keys, requests: ingest.requests };
  }

  it('sends batches of at most batchCommits, in file order, with a progress line each', async () => {
    const { run, out, batches, keys } = await replay([], ['a', 'b', 'c', 'd', 'e']);
    await run;
    expect(batches).toEqual([2, 2, 1]);
    expect(keys).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(out.filter((l) => l.startsWith('requeue: ') && l.includes('lines read'))).toHaveLength(
      3,
    );
    expect(out.at(-1)).toContain('5 accepted');
  });

  it('refuses to call a file done that grew while it was read, naming the last line read', async () => {
    const ingest = await fakeIngest([]);
    servers.push(ingest.server);
    const file = failureLog(['a', 'b', 'c']);
    // The last batch goes out once the file was read to its end: a hook's late line lands then.
    let seen = 0;
    ingest.server.on('request', () => {
      if (++seen === 2) {
        appendFileSync(file, `\n${JSON.stringify({ reason: 'timeout', commit: commit('d') })}`);
      }
    });
    const error = await requeueFile(file, ingest.url);
    expect(ingest.keys).toEqual([['a', 'b'], ['c']]);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe('FAILURE_LOG_GREW');
    expect((error as CliError).message).toMatch(
      /grew while it was read \(\d+ bytes after line 3 were not read\): a hook still writes to it/,
    );
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

  it('says what it had done when it stops part-way', async () => {
    // The first batch (lines 1 and 2) is taken; the second is refused until the tries run out.
    const { run } = await replay([202, 503, 503, 503], ['a', 'b', 'c', 'd'], { maxTries: 3 });
    await expect(run).rejects.toThrow(
      /from line 3 after 3 tries .*; before that: 2 accepted, 0 refused, 0 malformed$/,
    );
  });

  /**
   * A fake ingest that answers 503 BACKLOG_FULL to a request `isFull` says holds a full lane's
   * commit (by the keys it carries, in request order), as for a lane whose deliveries are held
   * up, and takes any other; and a requeue of `keys` against it.
   */
  async function requeueAgainstFullLane(
    keys: string[],
    isFull: (keys: string[]) => boolean | 'busy' | 'bad',
  ): Promise<{ error: unknown; requests: string[][]; out: string[]; file: string }> {
    const requests: string[][] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const parsed = JSON.parse(body) as { commits?: { key: string }[]; key?: string };
        const keys = parsed.commits?.map((c) => c.key) ?? [parsed.key ?? ''];
        requests.push(keys);
        const full = isFull(keys);
        const status = full === 'bad' ? 400 : full ? 503 : 202;
        res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '5' });
        res.end(
          JSON.stringify(
            full === 'bad'
              ? { error: { code: 'INVALID_COMMIT', message: 'bad', path: 'key' } }
              : full === 'busy'
                ? { error: { code: 'INGEST_BUSY', message: 'the ingest is busy' } }
                : full
                  ? {
                      error: {
                        code: 'BACKLOG_FULL',
                        message: 'lane 3 holds 100000 waiting commits',
                      },
                    }
                  : parsed.commits
                    ? { results: keys.map(() => ({ id: 'x', lane: 0, duplicate: false })) }
                    : { id: 'x', lane: 0, duplicate: false },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const out: string[] = [];
    const file = failureLog(keys);
    const error = await requeue({
      file,
      repoRoot: '/nonexistent',
      env: {
        INGEST_URL: `http://127.0.0.1:${port}`,
        INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters',
      },
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      batchCommits: 2,
      maxTries: 3,
      sleep: () => Promise.resolve(),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    return { error, requests, out, file };
  }

  it('gets the other lanes in when one lane is full, and names the lines of the full one', async () => {
    const { error, requests, out } = await requeueAgainstFullLane(['a', 'full', 'b', 'c'], (keys) =>
      keys.includes('full'),
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe('REQUEUE_INCOMPLETE');
    expect((error as CliError).message).toMatch(
      /^4 commits in .*: 3 accepted, 1 refused \(lines 2\); the 1 commits refused are in .*\.refused: replay that file, not this one, once the cause is fixed \(those refused with BACKLOG_FULL once their lane drained\)$/,
    );
    // The batch's tries, then each of its commits once, then the next batch.
    expect(requests).toEqual([
      ['a', 'full'],
      ['a', 'full'],
      ['a', 'full'],
      ['a'],
      ['full'],
      ['b', 'c'],
    ]);
    expect(out).toContain(
      'line 2: refused by the ingest: 503 BACKLOG_FULL: lane 3 holds 100000 waiting commits',
    );
  });

  it('once a lane was full, sends a later batch refused for it one by one at once', async () => {
    const { error, requests } = await requeueAgainstFullLane(
      ['a', 'full', 'b', 'full2', 'c', 'd'],
      (keys) => keys.some((k) => k.startsWith('full')),
    );
    expect((error as CliError).message).toMatch(
      /^6 commits in .*: 4 accepted, 2 refused \(lines 2, 4\)/,
    );
    // The first batch's tries, then one try of the next before its commits go alone.
    expect(requests).toEqual([
      ['a', 'full'],
      ['a', 'full'],
      ['a', 'full'],
      ['a'],
      ['full'],
      ['b', 'full2'],
      ['b'],
      ['full2'],
      ['c', 'd'],
    ]);
  });

  it('once a lane was full, tries its commits once in a batch refused for a bad commit too', async () => {
    const { error, requests } = await requeueAgainstFullLane(
      ['a', 'full', 'bad', 'full2', 'c'],
      (keys) => (keys.includes('bad') ? 'bad' : keys.some((k) => k.startsWith('full'))),
    );
    expect((error as CliError).message).toMatch(
      /^5 commits in .*: 2 accepted, 3 refused \(lines 2, 3, 4\)/,
    );
    // The ingest checks commits before it stores any: the batch with the bad commit is refused
    // 400 first, and goes one by one; its full lane's commit is tried once, as in a batch.
    expect(requests).toEqual([
      ['a', 'full'],
      ['a', 'full'],
      ['a', 'full'],
      ['a'],
      ['full'],
      ['bad', 'full2'],
      ['bad'],
      ['full2'],
      ['c'],
    ]);
  });

  it('keeps the commits it refused or held back in FILE.refused, for a later run of that file', async () => {
    const { error, file } = await requeueAgainstFullLane(
      ['a', 'full', 'bad', 'full', 'c'],
      (keys) => (keys.includes('bad') ? 'bad' : keys.includes('full')),
    );
    const refused = `${file}.refused`;
    expect((error as CliError).message).toContain(
      `; the 3 commits refused (1 of them held behind an earlier refused commit of their key) are in ${refused}: replay that file, not this one, once the cause is fixed`,
    );
    expect(statSync(refused).mode & 0o777).toBe(0o600);
    const lines = readFileSync(refused, 'utf8').trimEnd().split('\n');
    // In the order met: line 4 is held back as it is read, before line 3's batch is refused.
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      {
        reason: 'requeue_refused',
        why: '503 BACKLOG_FULL: lane 3 holds 100000 waiting commits',
        commit: commit('full'),
      },
      {
        reason: 'requeue_refused',
        why: 'held behind line 2 (the same key, refused for a full lane)',
        commit: commit('full'),
      },
      { reason: 'requeue_refused', why: '400 INVALID_COMMIT: bad', commit: commit('bad') },
    ]);
    // Read as a failure log: each line a commit to send.
    const read = lines.map((l, i) => readFailureLogLine(Buffer.from(l), i + 1));
    expect(read.map((r) => (r && 'object' in r ? r.line : r))).toEqual([1, 2, 3]);
  });

  /**
   * Each refusal kept in FILE.refused holds back the later lines of its key, whatever the cause:
   * a 400 or 413 is not final across versions (an older ingest refusing a field a newer hook
   * sends, in a rolling upgrade), so FILE.refused is replayed once it is fixed, and a later
   * line sent now would reach Kafka before it.
   */
  it.each([
    { batch: 400, alone: 400, code: 'INVALID_COMMIT' },
    { batch: 413, alone: 413, code: 'COMMIT_TOO_LARGE' },
    { batch: 400, alone: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  ])(
    'holds back the later lines of a key refused $alone (the batch $batch), into FILE.refused after it',
    async ({ batch, alone, code }) => {
      // Line 1, of `k`, is refused; lines 2 and 4, of `k` too, would be taken; `a` and `b` are
      // of other keys. Line 2 is in line 1's batch, line 4 is read after that batch was refused.
      const lines = [
        { ...commit('k'), op: 'frobnicate' },
        commit('k'),
        commit('a'),
        commit('k'),
        commit('b'),
      ];
      const file = join(mkdtempSync(join(tmpdir(), 'requeue-')), 'failed.jsonl');
      writeFileSync(
        file,
        lines.map((c) => JSON.stringify({ reason: 'timeout', commit: c })).join('\n'),
      );
      const requests: string[][] = [];
      const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const parsed = JSON.parse(body) as { commits?: { key: string; op: string }[] };
          const commits = parsed.commits ?? [parsed as { key: string; op: string }];
          requests.push(commits.map((c) => c.key));
          const status = !commits.some((c) => c.op === 'frobnicate')
            ? 202
            : parsed.commits
              ? batch
              : alone;
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify(
              status !== 202
                ? { error: { code: status === alone ? code : 'E', message: 'no', path: 'op' } }
                : parsed.commits
                  ? { results: commits.map(() => ({ id: 'x', lane: 0, duplicate: false })) }
                  : { id: 'x', lane: 0, duplicate: false },
            ),
          );
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      const address = server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const out: string[] = [];
      const error = await requeue({
        file,
        repoRoot: '/nonexistent',
        env: { INGEST_URL: url, INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters' },
        out: (l) => out.push(l),
        err: (l) => out.push(l),
        batchCommits: 2,
        maxTries: 3,
        sleep: () => Promise.resolve(),
      }).then(
        () => undefined,
        (e: unknown) => e,
      );

      // Neither later line of `k` is sent; `a` and `b` are.
      expect(requests).toEqual([['k', 'k'], ['k'], ['a', 'b']]);
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).code).toBe('REQUEUE_INCOMPLETE');
      expect((error as CliError).message).toMatch(
        new RegExp(
          '^5 commits in .*: 2 accepted, 3 refused \\(lines 1, 2, 4\\); the 3 commits refused ' +
            '\\(2 of them held behind an earlier refused commit of their key\\) are in .*\\.refused: ' +
            'replay that file, not this one, once the cause is fixed$',
        ),
      );
      expect(out).toContain(`line 1: refused by the ingest: ${alone} ${code}: no`);
      const held = 'held behind line 1 (the same key, refused by the ingest)';
      expect(out).toContain(`line 2: ${held}`);
      expect(out).toContain(`line 4: ${held}`);
      // In file order: the refused line, then the lines held behind it.
      const kept = readFileSync(`${file}.refused`, 'utf8').trimEnd().split('\n');
      expect(kept.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
        { reason: 'requeue_refused', why: `${alone} ${code}: no`, commit: lines[0] },
        { reason: 'requeue_refused', why: held, commit: lines[1] },
        { reason: 'requeue_refused', why: held, commit: lines[3] },
      ]);
    },
  );

  /** A requeue of `file` against `ingest`, its error if any. */
  async function requeueFile(file: string, url: string): Promise<unknown> {
    return requeue({
      file,
      repoRoot: '/nonexistent',
      env: { INGEST_URL: url, INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters' },
      out: () => undefined,
      err: () => undefined,
      batchCommits: 2,
      maxTries: 3,
      sleep: () => Promise.resolve(),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
  }

  it("leaves no FILE.refused when every commit was taken, nor an earlier run's", async () => {
    const ingest = await fakeIngest([]);
    servers.push(ingest.server);
    const file = failureLog(['a', 'b']);
    writeFileSync(`${file}.refused`, "an earlier run's refusals\n");
    expect(await requeueFile(file, ingest.url)).toBeUndefined();
    expect(existsSync(`${file}.refused`)).toBe(false);
  });

  it('refuses to start where it cannot write FILE.refused, sending nothing', async () => {
    const ingest = await fakeIngest([]);
    servers.push(ingest.server);
    const file = failureLog(['a']);
    mkdirSync(`${file}.refused`);
    const error = await requeueFile(file, ingest.url);
    expect((error as CliError).code).toBe('REFUSED_FILE_UNWRITABLE');
    expect((error as CliError).message).toMatch(/^cannot write .*\.refused \(EISDIR\)/);
    expect(ingest.requests()).toBe(0);
  });

  it('names FILE.refused when it stops part-way', async () => {
    const full = { status: 503, code: 'BACKLOG_FULL' };
    const ingest = await fakeIngest([full, full, full, 202, full, 401]);
    servers.push(ingest.server);
    const file = failureLog(['a', 'full', 'b', 'c']);
    const error = await requeueFile(file, ingest.url);
    expect((error as CliError).code).toBe('REQUEUE_REFUSED');
    expect((error as CliError).message).toMatch(
      /; the 1 commits refused until then are in .*\.refused$/,
    );
    expect(readFileSync(`${file}.refused`, 'utf8')).toContain('"key":"full"');
  });

  it('gives a batch its tries again once the ingest took a whole batch', async () => {
    let fullFor = 3;
    const { requests } = await requeueAgainstFullLane(
      ['a', 'full', 'b', 'c', 'd', 'full2'],
      (keys) => keys.some((k) => k.startsWith('full')) && (keys[0] !== 'd' || fullFor-- > 0),
    );
    // The full lane's first batch goes one by one after its tries; `b, c` is taken whole; so
    // `d, full2`, refused for a full lane again, gets its tries again before going one by one.
    expect(requests).toEqual([
      ['a', 'full'],
      ['a', 'full'],
      ['a', 'full'],
      ['a'],
      ['full'],
      ['b', 'c'],
      ['d', 'full2'],
      ['d', 'full2'],
      ['d', 'full2'],
      ['d'],
      ['full2'],
    ]);
  });

  it('tries a commit of another lane again when the ingest is busy while one lane is full', async () => {
    // After the batch's tries, each commit goes alone: the full lane's once, but `a`, which
    // meets a busy ingest, gets its tries as any request does, and the run goes on.
    let busy = 1;
    const { error, requests } = await requeueAgainstFullLane(['a', 'full', 'b'], (keys) =>
      keys.includes('full')
        ? true
        : keys.length === 1 && keys[0] === 'a' && busy-- > 0
          ? 'busy'
          : false,
    );
    expect((error as CliError).code).toBe('REQUEUE_INCOMPLETE');
    expect((error as CliError).message).toMatch(
      /^3 commits in .*: 2 accepted, 1 refused \(lines 2\)/,
    );
    expect(requests).toEqual([
      ['a', 'full'],
      ['a', 'full'],
      ['a', 'full'],
      ['a'],
      ['a'],
      ['full'],
      ['b'],
    ]);
  });

  it('holds back a later commit of a key refused for a full lane, even once the lane has room', async () => {
    // The lane of `k` is full for its first four requests (the batch's three tries and the one
    // alone), then has room: the second commit of `k` must not go ahead of the first.
    let refusals = 0;
    const { error, requests, out } = await requeueAgainstFullLane(
      ['a', 'k', 'b', 'k', 'c', 'k'],
      (keys) => keys.includes('k') && refusals++ < 4,
    );
    expect((error as CliError).code).toBe('REQUEUE_INCOMPLETE');
    expect((error as CliError).message).toMatch(
      /^6 commits in .*: 3 accepted, 3 refused \(lines 2, 4, 6\); the 3 commits refused \(2 of them held behind an earlier refused commit of their key\) are in .*: replay that file, not this one, once the cause is fixed \(those refused with BACKLOG_FULL once their lane drained\)$/,
    );
    expect(requests).toEqual([['a', 'k'], ['a', 'k'], ['a', 'k'], ['a'], ['k'], ['b', 'c']]);
    expect(out).toContain('line 4: held behind line 2 (the same key, refused for a full lane)');
    expect(out).toContain('line 6: held behind line 2 (the same key, refused for a full lane)');
  });

  it('names at most 20 line numbers in its summary line, however many were skipped', async () => {
    const ingest = await fakeIngest([]);
    servers.push(ingest.server);
    const file = failureLog(['a']);
    appendFileSync(file, '\nnot json'.repeat(1000));
    const run = requeue({
      file,
      repoRoot: '/nonexistent',
      env: { INGEST_URL: ingest.url, INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters' },
      out: () => undefined,
      err: () => undefined,
      sleep: () => Promise.resolve(),
    });
    const lines = Array.from({ length: 20 }, (_, i) => i + 2).join(', ');
    await expect(run).rejects.toThrow(
      new RegExp(
        `: 1 accepted, 1000 malformed \\(lines ${lines} and 980 more\\); the malformed lines are in this file only: mend them and replay them$`,
      ),
    );
  });

  it('skips and names a line that is not UTF-8 rather than posting it altered', async () => {
    const ingest = await fakeIngest([]);
    servers.push(ingest.server);
    const file = failureLog(['a']);
    appendFileSync(
      file,
      Buffer.concat([
        Buffer.from('\n{"reason":"timeout","commit":{"bucketType":"default","bucket":"b","key":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('","op":"delete","siblings":[]}}\n'),
        Buffer.from(JSON.stringify({ reason: 'timeout', commit: commit('c') })),
      ]),
    );
    const out: string[] = [];
    const run = requeue({
      file,
      repoRoot: '/nonexistent',
      env: { INGEST_URL: ingest.url, INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters' },
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      sleep: () => Promise.resolve(),
    });
    await expect(run).rejects.toThrow(/3 commits in .*: 2 accepted, 1 malformed \(lines 2\)/);
    expect(out).toContain('line 2: not valid UTF-8 (skipped)');
    expect(ingest.batches).toEqual([2]);
  });

  /** Hands out `lines` as `fileLines` does, then fails with `error` if there is one. */
  async function* fromLines(lines: (Buffer | TooLongLine)[], error?: Error) {
    for (const line of lines) yield await Promise.resolve(line);
    if (error) throw error;
  }

  /** Failure-log lines of `keys`, as `fileLines` hands them out. */
  const logLines = (keys: string[]) =>
    keys.map((k) => Buffer.from(JSON.stringify({ reason: 'timeout', commit: commit(k) })));

  it('skips and names a line too long to be a failure-log line, unread', async () => {
    const ingest = await fakeIngest([]);
    servers.push(ingest.server);
    const out: string[] = [];
    let limit: number | undefined;
    const run = requeue({
      file: failureLog(['unused']),
      repoRoot: '/nonexistent',
      env: { INGEST_URL: ingest.url, INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters' },
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      sleep: () => Promise.resolve(),
      readLines(_file, maxLineBytes) {
        limit = maxLineBytes;
        const [a, c] = logLines(['a', 'c']);
        return fromLines([a!, { tooLong: true, bytes: 300_000_000 }, c!]);
      },
    });
    await expect(run).rejects.toThrow(/3 commits in .*: 2 accepted, 1 malformed \(lines 2\)/);
    expect(limit).toBe(MAX_LINE_BYTES);
    expect(out).toContain(
      `line 2: 300000000 bytes, longer than a failure-log line can be (${MAX_LINE_BYTES} at most) (skipped)`,
    );
    expect(ingest.keys).toEqual([['a', 'c']]);
  });

  it('stops where the file could not be read, once the lines read before are sent', async () => {
    const ingest = await fakeIngest([]);
    servers.push(ingest.server);
    const run = requeue({
      file: failureLog(['unused']),
      repoRoot: '/nonexistent',
      env: { INGEST_URL: ingest.url, INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters' },
      out: () => undefined,
      err: () => undefined,
      batchCommits: 2,
      sleep: () => Promise.resolve(),
      readLines: () =>
        fromLines(
          logLines(['a', 'b', 'c']),
          Object.assign(new Error('i/o error'), { code: 'EIO' }),
        ),
    });
    await expect(run).rejects.toMatchObject({ code: 'FAILURE_LOG_UNREADABLE', exitCode: 1 });
    await expect(run).rejects.toThrow(
      /failed\.jsonl: reading stopped after line 3 \(EIO\); nothing after that line was sent: run requeue again once the file can be read; before that: 3 accepted, 0 refused, 0 malformed$/,
    );
    expect(ingest.keys).toEqual([['a', 'b'], ['c']]);
  });

  it('stops at once when the ingest refuses the signature', async () => {
    const { run } = await replay([401], ['a']);
    await expect(run).rejects.toBeInstanceOf(CliError);
    await expect(run).rejects.toThrow(
      /refused the requests: 401 E401: no \(check INGEST_URL and INGEST_SECRETS\)/,
    );
  });

  it("points at this machine's clock when the ingest refuses the signature's time", async () => {
    const { run } = await replay([{ status: 401, code: 'SIGNATURE_EXPIRED' }], ['a']);
    await expect(run).rejects.toThrow(
      /401 SIGNATURE_EXPIRED: no \(check this machine's clock against the ingest's/,
    );
  });

  it.each([404, 405, 301])(
    'stops at once on a %i, which is about the address, not a commit',
    async (status) => {
      const { run, requests } = await replay([status], ['a', 'b', 'c']);
      await expect(run).rejects.toThrow(
        new RegExp(`refused the requests: ${status} E${status}: no \\(check INGEST_URL`),
      );
      // Neither followed nor tried commit by commit.
      expect(requests()).toBe(1);
    },
  );

  it('says each retry while the ingest is down, and the underlying cause at the end', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const err: string[] = [];
    const waits: number[] = [];
    const run = requeue({
      file: failureLog(['a']),
      repoRoot: '/nonexistent',
      env: { INGEST_URL: url, INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters' },
      out: () => {},
      err: (l) => err.push(l),
      maxTries: 3,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    const error = (await run.catch((e: unknown) => e)) as CliError;
    expect(err).toEqual([
      `requeue: try 1 of 3 for the commits from line 1 failed: cannot reach ${url}/v1/commits/batch: ECONNREFUSED; trying again in 0.5s`,
      `requeue: try 2 of 3 for the commits from line 1 failed: cannot reach ${url}/v1/commits/batch: ECONNREFUSED; trying again in 1s`,
    ]);
    // No wait after the last try: it would only delay the message.
    expect(waits).toEqual([500, 1000]);
    expect(error.message).toContain(
      `after 3 tries (cannot reach ${url}/v1/commits/batch: ECONNREFUSED)`,
    );
    expect(error.cause).toMatchObject({ code: 'INGEST_UNREACHABLE', reason: 'ECONNREFUSED' });
  });

  it('says a 503 it retries, with the wait the ingest asked for', async () => {
    const { run, out } = await replay([503], ['a']);
    await run;
    expect(out[0]).toBe(
      'requeue: try 1 of 10 for the commits from line 1 failed: the ingest answered 503 E503: no; trying again in 1s',
    );
  });

  it('checks the file before creating the local secret: missing, or a directory', async () => {
    const repoRoot = mkdtempSync(join(tmpdir(), 'requeue-root-'));
    const options = { repoRoot, env: {}, out: () => {}, err: () => {} };
    await expect(requeue({ ...options, file: join(repoRoot, 'nope.jsonl') })).rejects.toThrow(
      `cannot read ${join(repoRoot, 'nope.jsonl')}: no such file`,
    );
    const dir = join(repoRoot, 'logs');
    mkdirSync(dir);
    await expect(requeue({ ...options, file: dir })).rejects.toThrow(
      new CliError('FILE_UNREADABLE', `${dir} is a directory`),
    );
    expect(existsSync(join(repoRoot, '.data'))).toBe(false);
  });

  it('refuses a bad INGEST_URL before creating the local secret', async () => {
    const repoRoot = mkdtempSync(join(tmpdir(), 'requeue-root-'));
    await expect(
      requeue({
        file: failureLog(['a']),
        repoRoot,
        env: { INGEST_URL: 'notaurl' },
        out: () => {},
        err: () => {},
      }),
    ).rejects.toThrow(/INGEST_URL: must be an http/);
    expect(existsSync(join(repoRoot, '.data'))).toBe(false);
  });
});
