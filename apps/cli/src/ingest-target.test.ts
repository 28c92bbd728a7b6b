import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@commitlog/runtime';
import { describe, expect, it } from 'vitest';
import { readIngestTarget, readIngestUrl } from './ingest-target.ts';

const SECRET = 'a-signing-secret-of-at-least-32-characters';

describe('the ingest the CLI posts to', () => {
  it('takes an http(s) URL, or the local one when INGEST_URL is unset or blank', () => {
    expect(readIngestUrl(undefined)).toEqual({ ok: true, url: 'http://127.0.0.1:8080' });
    expect(readIngestUrl(' ')).toEqual({ ok: true, url: 'http://127.0.0.1:8080' });
    expect(readIngestUrl('https://ingest.example.com/commitlog/')).toEqual({
      ok: true,
      url: 'https://ingest.example.com/commitlog',
    });
  });

  it('refuses anything else, naming INGEST_URL and never echoing a password', () => {
    const problem = (value: string): string => {
      const read = readIngestUrl(value);
      return read.ok ? 'accepted' : read.problem;
    };
    expect(problem('notaurl')).toMatch(/^must be an http:\/\/ or https:\/\/ URL/);
    expect(problem('ftp://host')).toBe('must start with http:// or https:// (got "ftp://host")');
    expect(problem('http://host/?a=1')).toContain('must not have a query');
    // A function URL's key travels in its query: it is not repeated either.
    expect(problem('https://fn.example.net/api?code=S3CRET')).toBe(
      'must not have a query or a fragment (the value is not shown: its query may hold a token)',
    );
    expect(problem('https://fn.example.net/api#S3CRET')).not.toContain('S3CRET');
    expect(problem('redis://u:pw@host')).not.toContain('pw');
    // fetch would refuse it with a message that repeats the URL, password and all.
    expect(problem('http://ops:s3cretPW@127.0.0.1:1')).toBe(
      'must not hold a user or password (requests are signed with INGEST_SECRETS) (the value is not shown: it may hold a password)',
    );
  });

  it('names every bad variable in one line and creates no local secret', () => {
    const repoRoot = mkdtempSync(join(tmpdir(), 'target-'));
    const env = { INGEST_URL: 'x', INGEST_SECRETS: `${SECRET},${SECRET},${SECRET}` };
    const error = (() => {
      try {
        readIngestTarget(repoRoot, env);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([
      'INGEST_URL',
      'INGEST_SECRETS',
    ]);
    expect((error as ConfigError).problems[1]?.message).toMatch(/^holds 3 secrets; at most 2/);
    expect(existsSync(join(repoRoot, '.data'))).toBe(false);
    expect(readIngestTarget(repoRoot, { INGEST_SECRETS: ` ${SECRET} ` })).toEqual({
      baseUrl: 'http://127.0.0.1:8080',
      secret: SECRET,
    });
  });

  it('refuses NODE_TLS_REJECT_UNAUTHORIZED=0, which would send commits to any certificate', () => {
    const repoRoot = mkdtempSync(join(tmpdir(), 'target-'));
    const env = {
      INGEST_URL: 'https://ingest.example.com',
      INGEST_SECRETS: SECRET,
      NODE_TLS_REJECT_UNAUTHORIZED: ' 0',
    };
    expect(() => readIngestTarget(repoRoot, env)).toThrow(
      /NODE_TLS_REJECT_UNAUTHORIZED: must not be 0: it turns off the check of INGEST_URL.s certificate/,
    );
    expect(readIngestTarget(repoRoot, { ...env, NODE_TLS_REJECT_UNAUTHORIZED: '1' }).baseUrl).toBe(
      'https://ingest.example.com',
    );
  });

  it('checks the CA file of NODE_EXTRA_CA_CERTS for an https INGEST_URL, naming it in one line', () => {
    const repoRoot = mkdtempSync(join(tmpdir(), 'target-'));
    const notPem = join(repoRoot, 'ca.txt');
    writeFileSync(notPem, 'not a certificate');
    const ca = join(repoRoot, 'ca.pem');
    writeFileSync(
      ca,
      readFileSync(
        new URL('../../../packages/runtime/src/fixtures/test-ca.pem', import.meta.url),
        'utf8',
      ),
    );
    const env = { INGEST_URL: 'https://ingest.example.com', INGEST_SECRETS: SECRET };
    // Node only warns on stderr, then refuses the ingest's certificate as untrusted.
    expect(() => readIngestTarget(repoRoot, { ...env, NODE_EXTRA_CA_CERTS: notPem })).toThrow(
      `invalid configuration: NODE_EXTRA_CA_CERTS: ${JSON.stringify(notPem)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
    expect(() =>
      readIngestTarget(repoRoot, { ...env, NODE_EXTRA_CA_CERTS: join(repoRoot, 'missing.pem') }),
    ).toThrow(/^invalid configuration: NODE_EXTRA_CA_CERTS: cannot read ".*missing\.pem": ENOENT/);
    expect(readIngestTarget(repoRoot, { ...env, NODE_EXTRA_CA_CERTS: ca }).baseUrl).toBe(
      'https://ingest.example.com',
    );
    // Not the ingest's business over plain HTTP.
    expect(
      readIngestTarget(repoRoot, {
        ...env,
        INGEST_URL: 'http://127.0.0.1:8080',
        NODE_EXTRA_CA_CERTS: notPem,
      }).baseUrl,
    ).toBe('http://127.0.0.1:8080');
  });

  it('refuses a remote INGEST_URL without INGEST_SECRETS, rather than sign with the local secret', () => {
    const repoRoot = mkdtempSync(join(tmpdir(), 'target-'));
    const refused = (url: string): string[] => {
      try {
        readIngestTarget(repoRoot, { INGEST_URL: url });
        return [];
      } catch (e) {
        return (e as ConfigError).problems.map((p) => `${p.variable}: ${p.message}`);
      }
    };
    expect(refused('https://ingest.example.com')).toEqual([
      'INGEST_SECRETS: must be set when INGEST_URL is not on this machine: the local secret ' +
        '(.data/ingest-secret) only signs for a local `commitlog up`',
    ]);
    expect(refused('http://10.0.3.4:8080')).toHaveLength(1);
    expect(existsSync(join(repoRoot, '.data'))).toBe(false);
    for (const local of ['http://127.0.0.1:8080', 'http://localhost:9000', 'http://[::1]:8080']) {
      expect(refused(local)).toEqual([]);
    }
    expect(
      readIngestTarget(repoRoot, {
        INGEST_URL: 'https://ingest.example.com',
        INGEST_SECRETS: SECRET,
      }).secret,
    ).toBe(SECRET);
  });
});
