import { verifyPassword } from '@commitlog/runtime';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function commitlog(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return commitlogWithInput('', ...args);
}

function commitlogWithInput(
  input: string,
  ...args: string[]
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['apps/cli/src/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: process.env,
    input,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the commitlog command, as a process', () => {
  it('exits 2 with one readable line for an unknown command', () => {
    const result = commitlog('launch-rockets');
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'commitlog: unknown command "launch-rockets" (try: commitlog help)',
    ]);
  });

  it('prints its usage for help', () => {
    const result = commitlog('help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('up          start the whole system');
  });

  it('hashes a piped dashboard password, and refuses a short one in one line', async () => {
    const result = commitlogWithInput(
      'correct horse battery\nignored\n',
      'dashboard',
      'hash-password',
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const hash = result.stdout.trim();
    expect(hash).toMatch(/^scrypt:16384:8:5:\S+$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);

    const short = commitlogWithInput('short\n', 'dashboard', 'hash-password');
    expect(short.status).toBe(1);
    expect(short.stdout).toBe('');
    expect(short.stderr).toBe(
      'commitlog: the password is 5 characters long; it must have at least 12\n',
    );
  });

  it('refuses to run the dashboard without users, in one line', () => {
    const result = commitlog('dashboard');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^commitlog dashboard: invalid configuration: DASHBOARD_USERS: is required[^\n]*\n$/,
    );
  });

  it('reads a relative file from where ./commitlog was run, not from the repository root', async () => {
    // A stand-in ingest that keeps what it was sent: the wrapper runs from another directory.
    const received: { url: string | undefined; body: string }[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        received.push({ url: request.url, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(202, { 'content-type': 'application/json' });
        response.end('{"id":"0","lane":0,"duplicate":false}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const callerDir = mkdtempSync(join(tmpdir(), 'commitlog-caller-'));
      const commit = '{"bucket":"b","key":"from-the-caller","op":"delete"}';
      writeFileSync(join(callerDir, 'commit.json'), commit);
      const child = spawn('bash', [join(root, 'commitlog'), 'post', 'commit.json'], {
        cwd: callerDir,
        env: {
          ...process.env,
          INGEST_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          INGEST_SECRETS: 'caller-dir-test-secret-0123456789abcdef',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, output).toBe(0);
      expect(received).toEqual([{ url: '/v1/commits', body: commit }]);
    } finally {
      server.close();
    }
  }, 60_000);
});
