import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error.ts';
import { whyUnreadable } from './readable-file.ts';
import { keepSecret, keptSecret } from './local-secret.ts';

describe('keepSecret', () => {
  it('leaves the secret owner-only, also over a file that was readable by others', () => {
    const root = mkdtempSync(join(tmpdir(), 'commitlog-secret-'));
    mkdirSync(join(root, '.data'));
    const file = join(root, '.data', 'ingest-secret');
    writeFileSync(file, 'too-short\n', { mode: 0o644 });
    keepSecret(root, 'ingest-secret', 'a'.repeat(64));
    expect(readFileSync(file, 'utf8')).toBe(`${'a'.repeat(64)}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('keptSecret', () => {
  /** What keptSecret throws, or undefined. */
  function refusal(root: string): unknown {
    try {
      keptSecret(root, 'ingest-secret', 'INGEST_SECRETS');
      return undefined;
    } catch (error) {
      return error;
    }
  }

  it('makes a secret when none is kept yet, and then reads it back', () => {
    const root = mkdtempSync(join(tmpdir(), 'commitlog-secret-'));
    const secret = keptSecret(root, 'ingest-secret', 'INGEST_SECRETS');
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(keptSecret(root, 'ingest-secret', 'INGEST_SECRETS')).toBe(secret);
  });

  it('refuses, naming the file and INGEST_SECRETS, a kept secret it cannot read, and leaves it', () => {
    const root = mkdtempSync(join(tmpdir(), 'commitlog-secret-'));
    // A directory where the file should be: it cannot be read, as root or not.
    const file = join(root, '.data', 'ingest-secret');
    mkdirSync(file, { recursive: true });
    const error = refusal(root);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({
      code: 'SECRET_UNREADABLE',
      message: `cannot read the kept secret ${file}: EISDIR (make it readable to this user, or set INGEST_SECRETS)`,
    });
    expect(statSync(file).isDirectory()).toBe(true);
  });

  // Runs as root too (where the test below is skipped): the words a refused read is told in.
  it('says a refused read is a permission denied, for either code the system gives', () => {
    for (const code of ['EACCES', 'EPERM']) {
      expect(whyUnreadable(Object.assign(new Error('x'), { code }))).toBe('permission denied');
    }
    expect(whyUnreadable(Object.assign(new Error('x'), { code: 'EISDIR' }))).toBe('EISDIR');
  });

  // Root reads a file of any mode: the `sudo ./commitlog up` case needs another user to show.
  it.skipIf(process.getuid?.() === 0)(
    'refuses a kept secret it has no permission to read, rather than write a new one over it',
    () => {
      const root = mkdtempSync(join(tmpdir(), 'commitlog-secret-'));
      mkdirSync(join(root, '.data'));
      const file = join(root, '.data', 'ingest-secret');
      writeFileSync(file, `${'b'.repeat(64)}\n`, { mode: 0o600 });
      chmodSync(file, 0o000);
      try {
        expect(refusal(root)).toMatchObject({
          code: 'SECRET_UNREADABLE',
          message: `cannot read the kept secret ${file}: permission denied (make it readable to this user, or set INGEST_SECRETS)`,
        });
      } finally {
        chmodSync(file, 0o600);
      }
      expect(readFileSync(file, 'utf8')).toBe(`${'b'.repeat(64)}\n`);
    },
  );
});
