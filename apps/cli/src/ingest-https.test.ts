// `commitlog post` and `requeue` to an https INGEST_URL, as processes: Node reads
// NODE_EXTRA_CA_CERTS (the CA the CLI trusts beside its own list) only as it starts.
import { SIGNATURE_HEADER } from '@commitlog/core';
import { makeTestCertificates, type TestCertificates } from '@commitlog/testkit';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const SECRET = 'a-signing-secret-of-at-least-32-characters';

let dir: string;
let certs: TestCertificates;
let server: Server;
let url: string;
/** The signed requests the stand-in ingest took: path and commit keys. */
const taken: { path: string; keys: string[] }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-https-'));
  certs = await makeTestCertificates(dir);
  server = createServer(
    { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) },
    (req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as { commits?: { key: string }[]; key?: string };
        const commits = body.commits ?? [body as { key: string }];
        if (req.headers[SIGNATURE_HEADER] !== undefined) {
          taken.push({ path: req.url ?? '', keys: commits.map((c) => c.key) });
        }
        res.writeHead(202, { 'content-type': 'application/json' });
        const result = { id: 'x', lane: 0, duplicate: false };
        res.end(JSON.stringify(body.commits ? { results: commits.map(() => result) } : result));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI as a process (the stand-in ingest answers meanwhile, in this one). */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH, INGEST_URL: url, INGEST_SECRETS: SECRET, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the CLI and an https INGEST_URL', () => {
  it('posts a commit, trusting the CA given in NODE_EXTRA_CA_CERTS', async () => {
    const file = join(dir, 'commit.json');
    await writeFile(file, JSON.stringify({ bucket: 'b', key: 'over-tls', op: 'delete' }));
    const result = await cli(['post', file], { NODE_EXTRA_CA_CERTS: certs.caFile });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^202 /);
    expect(taken).toContainEqual({ path: '/v1/commits', keys: ['over-tls'] });
  });

  it('requeues a failure log the same way', async () => {
    const file = join(dir, 'failed.jsonl');
    const commit = (key: string) => ({ bucketType: 'default', bucket: 'b', key, op: 'delete' });
    await writeFile(
      file,
      ['r1', 'r2']
        .map((key) => JSON.stringify({ reason: 'timeout', commit: commit(key) }))
        .join('\n'),
    );
    const result = await cli(['requeue', file], { NODE_EXTRA_CA_CERTS: certs.caFile });
    expect(result.code, result.stderr).toBe(0);
    expect(taken).toContainEqual({ path: '/v1/commits/batch', keys: ['r1', 'r2'] });
  });

  it('refuses in one line, at once, without the CA, and with a CA file it cannot use', async () => {
    const file = join(dir, 'commit.json');
    const untrusted = await cli(['post', file], {});
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toBe(
      `commitlog: cannot reach ${url}/v1/commits: UNABLE_TO_VERIFY_LEAF_SIGNATURE: the ingest's certificate is not trusted here: give the CA that signed it (a PEM file) in NODE_EXTRA_CA_CERTS\n`,
    );
    const badCa = await cli(['post', file], { NODE_EXTRA_CA_CERTS: certs.keyFile });
    expect(badCa.code).toBe(1);
    expect(badCa.stderr).toMatch(
      /^commitlog: invalid configuration: NODE_EXTRA_CA_CERTS: "[^"]+" holds no PEM certificate[^\n]*\n$/,
    );
  });
});
