// requeue stopped part-way by what is not the ingest: a disk that fills while FILE.refused is
// written, a link planted where FILE.refused goes, and the operator's signals (Ctrl-C, SIGTERM, a
// dropped SSH session). The ingest is a small HTTP server refusing the commits whose op is
// `bogus`, as the real one refuses an invalid commit.
import { createServer, type Server } from 'node:http';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import type { SignalSource } from '../stop-signals.ts';
import { requeue, type RequeueOptions } from './requeue.ts';

const commit = (key: string, op = 'delete') => ({
  bucketType: 'default',
  bucket: 'b',
  key,
  op,
  siblings: [],
});

/** A failure log of one line per key; the keys starting with `bad` have the op `bogus`. */
function failureLog(keys: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'requeue-stops-')), 'failed.jsonl');
  const line = (k: string) =>
    JSON.stringify({
      reason: 'timeout',
      commit: commit(k, k.startsWith('bad') ? 'bogus' : 'delete'),
    });
  writeFileSync(file, keys.map(line).join('\n'));
  return file;
}

/**
 * An ingest refusing with 400 a request that holds a commit of op `bogus` (a batch whole), else
 * taking it, or answering 503 to everything when `busy`. `onRequest` runs as each request comes.
 */
async function fakeIngest(
  options: { busy?: boolean; onRequest?: (n: number) => void } = {},
): Promise<{ url: string; server: Server }> {
  let requests = 0;
  const server = createServer((req, res) => {
    options.onRequest?.(++requests);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { commits?: { op: string }[]; op?: string };
      const commits = parsed.commits ?? [parsed as { op: string }];
      const [status, answer] = options.busy
        ? [503, { error: { code: 'INGEST_BUSY', message: 'busy' } }]
        : commits.some((c) => c.op === 'bogus')
          ? [400, { error: { code: 'INVALID_COMMIT', message: 'bad' } }]
          : [202, { results: commits.map(() => ({ id: 'x', lane: 0, duplicate: false })) }];
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server };
}

/** Signals a test sends by hand, recording the process's quits. */
function handSignals() {
  const emitter = new EventEmitter();
  const quits: number[] = [];
  const signals: SignalSource = {
    on: (name, l) => emitter.on(name, l),
    off: (name, l) => emitter.off(name, l),
    now: () => 0,
    quit: (code) => void quits.push(code),
  };
  return { emitter, quits, signals };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A requeue of `file`, its error if any, and its lines on stdout and stderr. */
async function requeueFile(
  file: string,
  ingest: { url: string; server: Server },
  extra: Partial<RequeueOptions> = {},
): Promise<{ error: unknown; out: string[] }> {
  servers.push(ingest.server);
  const out: string[] = [];
  const error = await requeue({
    file,
    repoRoot: '/nonexistent',
    env: { INGEST_URL: ingest.url, INGEST_SECRETS: 'a-signing-secret-of-at-least-32-characters' },
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    batchCommits: 2,
    maxTries: 3,
    sleep: () => Promise.resolve(),
    signals: handSignals().signals,
    ...extra,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, out };
}

/** The keys of the commits kept in a FILE.refused, each line whole JSON. */
function keptKeys(path: string): string[] {
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { commit: { key: string } }).commit.key);
}

describe('requeue writing FILE.refused on a disk that fills', () => {
  it('writes every byte of a refused commit when the disk takes a few at a time', async () => {
    const file = failureLog(['bad1', 'a', 'bad2', 'b', 'bad3']);
    const { error } = await requeueFile(file, await fakeIngest(), {
      writeRefused: (fd, buffer, offset, length) =>
        writeSync(fd, buffer, offset, Math.min(length, 7)),
    });
    expect((error as CliError).code).toBe('REQUEUE_INCOMPLETE');
    expect(keptKeys(`${file}.refused`)).toEqual(['bad1', 'bad2', 'bad3']);
  });

  it('stops naming FILE.refused, the line and what it did, and keeps no torn FILE.refused', async () => {
    const file = failureLog(['bad1', 'a', 'bad2', 'b', 'bad3', 'c']);
    let calls = 0;
    const { error } = await requeueFile(file, await fakeIngest(), {
      // The first commit whole; the second's first 10 bytes, then no room.
      writeRefused: (fd, buffer, offset, length) => {
        calls++;
        if (calls === 1) return writeSync(fd, buffer, offset, length);
        if (calls === 2) return writeSync(fd, buffer, offset, 10);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      },
    });
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ code: 'REFUSED_FILE_UNWRITABLE', exitCode: 1 });
    expect((error as CliError).message).toBe(
      `requeue stopped after reading line 5: ${file}.refused could not be written whole at line 3 ` +
        `(ENOSPC), so it is incomplete and was not kept: replay ${file} itself once there is room ` +
        '(within DEDUP_WINDOW, 24 h by default, the commits already taken answer as duplicates), ' +
        `not ${file}.refused; before that: 1 accepted, 2 refused (lines 1, 3), 0 malformed`,
    );
    expect(existsSync(`${file}.refused`)).toBe(false);
    expect(existsSync(`${file}.refused.partial`)).toBe(false);
  });
});

describe('requeue and a link where FILE.refused goes', () => {
  /** A file the link points at: what requeue must not touch. */
  function target(): string {
    const path = join(mkdtempSync(join(tmpdir(), 'requeue-target-')), 'precious');
    writeFileSync(path, 'precious\n', { mode: 0o644 });
    return path;
  }

  it.each([['.refused'], ['.refused.partial']])(
    'leaves the target of a link at FILE%s as it was, and keeps its refusals in a file of its own',
    async (suffix) => {
      const file = failureLog(['bad1', 'a']);
      const precious = target();
      symlinkSync(precious, `${file}${suffix}`);
      const { error } = await requeueFile(file, await fakeIngest());
      expect((error as CliError).code).toBe('REQUEUE_INCOMPLETE');
      expect(readFileSync(precious, 'utf8')).toBe('precious\n');
      expect(statSync(precious).mode & 0o777).toBe(0o644);
      const kept = lstatSync(`${file}.refused`);
      expect(kept.isFile()).toBe(true);
      expect(kept.mode & 0o777).toBe(0o600);
      expect(keptKeys(`${file}.refused`)).toEqual(['bad1']);
      expect(existsSync(`${file}.refused.partial`)).toBe(false);
    },
  );

  it('removes the link, not its target, when it kept nothing', async () => {
    const file = failureLog(['a']);
    const precious = target();
    symlinkSync(precious, `${file}.refused`);
    expect((await requeueFile(file, await fakeIngest())).error).toBeUndefined();
    expect(readFileSync(precious, 'utf8')).toBe('precious\n');
    expect(existsSync(`${file}.refused`)).toBe(false);
  });

  it('keeps its refusals readable by its owner only, where an earlier FILE.refused was 0644', async () => {
    const file = failureLog(['bad1', 'a']);
    writeFileSync(`${file}.refused`, "an earlier run's refusals\n", { mode: 0o644 });
    await requeueFile(file, await fakeIngest());
    expect(statSync(`${file}.refused`).mode & 0o777).toBe(0o600);
    expect(keptKeys(`${file}.refused`)).toEqual(['bad1']);
  });
});

describe('requeue stopped by a signal', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    'ends a wait between tries at %s, says how far it got, and exits %i',
    async (name, code) => {
      const { emitter, quits, signals } = handSignals();
      const file = failureLog(['a', 'b', 'c']);
      const { error, out } = await requeueFile(file, await fakeIngest({ busy: true }), {
        signals,
        // A wait that ends only when it is stopped (Retry-After may ask for minutes).
        sleep: () => {
          emitter.emit(name);
          return new Promise<void>(() => undefined);
        },
      });
      expect(error).toBeInstanceOf(CliError);
      expect(error).toMatchObject({ code: 'INTERRUPTED', exitCode: code });
      expect((error as CliError).message).toBe(
        `requeue: stopped by ${name} at line 3 of ${file}; nothing after that line was sent: ` +
          '0 accepted, 0 refused, 0 malformed, 3 left to send; replay ' +
          `${file} again (within DEDUP_WINDOW the commits already taken answer as duplicates)`,
      );
      expect(out).toContain(
        `requeue: stopping after the request under way (${name}); press Ctrl-C again to quit at once`,
      );
      // FILE.refused kept nothing: gone, as at the end of a whole run.
      expect(existsSync(`${file}.refused`)).toBe(false);
      expect(existsSync(`${file}.refused.partial`)).toBe(false);
      expect(quits).toEqual([]);
      expect(emitter.listenerCount(name)).toBe(0);
    },
  );

  it('sends nothing after the request under way, and says FILE.refused is partial', async () => {
    const { emitter, signals } = handSignals();
    const file = failureLog(['bad1', 'a', 'b', 'c', 'd']);
    let requests = 0;
    // The batch of lines 1 and 2 refused; line 1 alone refused; line 2 alone, under way at SIGTERM.
    const ingest = await fakeIngest({
      onRequest: (n) => {
        requests = n;
        if (n === 3) emitter.emit('SIGTERM');
      },
    });
    const { error } = await requeueFile(file, ingest, { signals });
    expect(requests).toBe(3);
    expect(error).toMatchObject({ code: 'INTERRUPTED', exitCode: 143 });
    expect((error as CliError).message).toBe(
      `requeue: stopped by SIGTERM at line 3 of ${file}; nothing after that line was sent: ` +
        `1 accepted, 1 refused, 0 malformed, 1 left to send; ${file}.refused is partial (the 1 ` +
        `commits refused until then): replay ${file} again (within DEDUP_WINDOW the commits ` +
        `already taken answer as duplicates), not ${file}.refused`,
    );
    expect(keptKeys(`${file}.refused`)).toEqual(['bad1']);
    expect(statSync(`${file}.refused`).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.refused.partial`)).toBe(false);
  });
});
