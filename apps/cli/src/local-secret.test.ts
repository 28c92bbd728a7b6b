import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keepSecret } from './local-secret.ts';

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
