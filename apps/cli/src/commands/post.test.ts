// post against a port nothing listens on and with bad input: every refusal is one line naming the
// cause, and none leaves a local secret behind.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@commitlog/runtime';
import { describe, expect, it } from 'vitest';
import { CliError } from '../cli-error.ts';
import { post } from './post.ts';

const SECRET = 'a-signing-secret-of-at-least-32-characters';

/** A port that was just free: a server listened on it and closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

function setUp(): { repoRoot: string; file: string } {
  const repoRoot = mkdtempSync(join(tmpdir(), 'post-'));
  const file = join(repoRoot, 'commit.json');
  writeFileSync(file, JSON.stringify({ bucket: 'b', key: 'k', op: 'delete' }));
  return { repoRoot, file };
}

async function refusal(run: Promise<void>): Promise<Error & { code?: string }> {
  const error: unknown = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { code?: string };
}

describe('post', () => {
  it('names the reason an ingest cannot be reached, not a bare "fetch failed"', async () => {
    const { repoRoot, file } = setUp();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const error = await refusal(
      post({ file, repoRoot, env: { INGEST_URL: url, INGEST_SECRETS: SECRET }, out: () => {} }),
    );
    expect(error.message).toBe(`cannot reach ${url}/v1/commits: ECONNREFUSED`);
    expect(error.code).toBe('INGEST_UNREACHABLE');
  });

  it('ends with the refusal the ingest gave, its code and reason, in the one line', async () => {
    const { repoRoot, file } = setUp();
    const ingest = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: 'INVALID_COMMIT', message: 'op: must be put or delete', path: 'op' },
        }),
      );
    });
    await new Promise<void>((resolve) => ingest.listen(0, '127.0.0.1', resolve));
    const { port } = ingest.address() as { port: number };
    try {
      const error = await refusal(
        post({
          file,
          repoRoot,
          env: { INGEST_URL: `http://127.0.0.1:${port}`, INGEST_SECRETS: SECRET },
          out: () => {},
        }),
      );
      expect(error.message).toBe(
        'the ingest answered 400 INVALID_COMMIT: op: must be put or delete',
      );
      expect(error.code).toBe('POST_REFUSED');
    } finally {
      ingest.close();
    }
  });

  it('takes a file that begins with a byte order mark, and sends it without', async () => {
    const { repoRoot, file } = setUp();
    const json = '{"bucket":"b","key":"k","op":"delete"}';
    writeFileSync(file, `\uFEFF${json}`);
    const received: Buffer[] = [];
    const ingest = createServer((req, res) => {
      req.on('data', (chunk: Buffer) => received.push(chunk));
      req.on('end', () => {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"accepted":1}');
      });
    });
    await new Promise<void>((resolve) => ingest.listen(0, '127.0.0.1', resolve));
    const { port } = ingest.address() as { port: number };
    try {
      const out: string[] = [];
      await post({
        file,
        repoRoot,
        env: { INGEST_URL: `http://127.0.0.1:${port}`, INGEST_SECRETS: SECRET },
        out: (line) => out.push(line),
      });
      expect(out).toEqual(['202 {"accepted":1}']);
      expect(Buffer.concat(received).toString('utf8')).toBe(json);
    } finally {
      ingest.close();
    }
  });

  it("says why a file is not JSON, and where, but never repeats the file's content", async () => {
    const { repoRoot, file } = setUp();
    const run = () => refusal(post({ file, repoRoot, env: {}, out: () => {} }));
    // JSON.parse's message names a rule and a position: given as it is.
    writeFileSync(file, '{"bucket": "b", "value": "top-secret" "x"}');
    expect((await run()).message).toBe(
      `${file} is not valid JSON: Expected ',' or '}' after property value in JSON at position 38 (line 1 column 39)`,
    );
    // JSON.parse's message quotes the text around the mistake: only its position is given.
    writeFileSync(file, '{"bucket": "b",\n "value": ["top-secret", oops]}');
    const quoted = await run();
    expect(quoted).toBeInstanceOf(CliError);
    expect(quoted.code).toBe('INVALID_JSON');
    expect(quoted.message).toBe(
      `${file} is not valid JSON: Unexpected token at position 41 (line 2 column 26)`,
    );
    writeFileSync(file, '');
    expect((await run()).message).toBe(`${file} is not valid JSON: Unexpected end of JSON input`);
    expect(existsSync(join(repoRoot, '.data'))).toBe(false);
  });

  it('says a directory is a directory, before creating the local secret', async () => {
    const { repoRoot } = setUp();
    const dir = join(repoRoot, 'a-dir');
    mkdirSync(dir);
    const error = await refusal(post({ file: dir, repoRoot, env: {}, out: () => {} }));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toBe(`${dir} is a directory`);
    expect(existsSync(join(repoRoot, '.data'))).toBe(false);
  });

  it('refuses an INGEST_URL that is not an http(s) URL, naming it, and writes nothing', async () => {
    const { repoRoot, file } = setUp();
    const error = await refusal(
      post({ file, repoRoot, env: { INGEST_URL: 'notaurl' }, out: () => {} }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      {
        variable: 'INGEST_URL',
        message:
          'must be an http:// or https:// URL such as http://127.0.0.1:8080 or https://ingest.example.com (got "notaurl")',
      },
    ]);
    expect(existsSync(join(repoRoot, '.data'))).toBe(false);
  });

  it('refuses secrets the ingest would refuse, naming INGEST_SECRETS but not the value', async () => {
    const { repoRoot, file } = setUp();
    const error = await refusal(
      post({ file, repoRoot, env: { INGEST_SECRETS: 'hunter2' }, out: () => {} }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    const [problem] = (error as ConfigError).problems;
    expect(problem?.variable).toBe('INGEST_SECRETS');
    expect(problem?.message).toContain('secret 1 of 1 is 7 characters long');
    expect(problem?.message).toContain('at least 32');
    expect(error.message).not.toContain('hunter2');
  });
});
