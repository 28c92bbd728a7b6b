// The ingest with INGEST_TLS_CERT_FILE/INGEST_TLS_KEY_FILE, against the real Redis: HTTPS only on
// its port (the ops port stays plain HTTP), a renewed certificate taken without a restart, a bad
// one refused with the old one kept, and bad settings refused at start-up in one line.
import { commitId, laneOf, parseCommit } from '@commitlog/core';
import { laneQueueName } from '@commitlog/queue';
import { createLogger, loadIngestConfig } from '@commitlog/runtime';
import { captureLogLines, createTestQueuePrefix, freePort } from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Every } from './certificate-rotation.ts';
import { startIngest, type RunningIngest } from './start-ingest.ts';
import { signedHeaders, TEST_SECRET, wireCommit } from './test-fixtures.ts';
import { httpRequest } from './test-http.ts';
import { httpsRequest, makeTestCa, type IssuedCertificate, type TestCa } from './test-tls.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let dir: string;
let ca: TestCa;
let first: IssuedCertificate;
let second: IssuedCertificate;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ingest-tls-'));
  ca = await makeTestCa(dir);
  first = await ca.issue('first');
  second = await ca.issue('second');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** An ingest serving the certificate files it was given, whose checks run when the test says. */
async function start() {
  // Files of the ingest's own, replaced in place as a Secret's update would.
  const files = await mkdtemp(join(dir, 'served-'));
  const certFile = join(files, 'tls.crt');
  const keyFile = join(files, 'tls.key');
  await copyFile(first.certFile, certFile);
  await copyFile(first.keyFile, keyFile);
  const queue = createTestQueuePrefix();
  cleanups.push(() => queue.cleanup());
  const config = {
    ...loadIngestConfig({
      INGEST_SECRETS: TEST_SECRET,
      REDIS_URL: queue.redisUrl,
      INGEST_TLS_CERT_FILE: certFile,
      INGEST_TLS_KEY_FILE: keyFile,
    }),
    queuePrefix: queue.prefix,
    port: 0,
    opsPort: 0,
  };
  const capture = captureLogLines();
  const lines = capture.lines;
  const logger = createLogger({ service: 'ingest', level: 'debug', destination: capture });
  const checks: (() => void)[] = [];
  const every: Every = (run) => {
    checks.push(run);
    return { cancel: () => checks.splice(checks.indexOf(run), 1) };
  };
  const ingest: RunningIngest = await startIngest(config, logger, { certificate: { every } });
  cleanups.push(() => ingest.close());
  return {
    ingest,
    config,
    queue,
    lines,
    certFile,
    keyFile,
    url: `https://127.0.0.1:${ingest.port}`,
    opsUrl: `http://127.0.0.1:${ingest.opsPort}`,
    /** Runs the certificate check the minute's timer would run. */
    check: () => {
      expect(checks).toHaveLength(1);
      checks[0]?.();
    },
  };
}

function postCommit(url: string, wire: Record<string, unknown>) {
  const body = Buffer.from(JSON.stringify(wire));
  return httpsRequest(`${url}/v1/commits`, ca.caPem, {
    method: 'POST',
    headers: signedHeaders(body, { nowMs: Date.now() }),
    body,
  });
}

async function metricsText(opsUrl: string): Promise<string> {
  const metrics = await httpRequest(`${opsUrl}/metrics`);
  expect(metrics.status).toBe(200);
  return metrics.text;
}

function expirySerials(metrics: string): string[] {
  return [
    ...metrics.matchAll(
      /^commitlog_ingest_tls_cert_expiry_timestamp_seconds\{[^}]*serial="(\w+)"[^}]*\} \d+$/gm,
    ),
  ].map((m) => m[1] ?? '');
}

describe('the ingest over TLS', () => {
  it('accepts a signed commit over HTTPS and stores it; probes and metrics stay plain HTTP', async () => {
    const h = await start();
    expect(h.ingest.scheme).toBe('https');
    const wire = wireCommit();
    const commit = parseCommit(wire);
    const [id, lane] = [commitId(commit), laneOf(commit, h.config.lanes)];

    const answer = await postCommit(h.url, wire);
    expect(answer.status).toBe(202);
    expect(answer.serial).toBe(first.serial);
    expect(answer.json).toEqual({ id, lane, duplicate: false });
    const key = `${h.config.queuePrefix}:${laneQueueName(lane)}:${id}`;
    expect(await h.queue.redis.exists(key)).toBe(1);

    expect((await httpRequest(`${h.opsUrl}/readyz`)).status).toBe(200);
    expect(expirySerials(await metricsText(h.opsUrl))).toEqual([first.serial]);
  });

  it('refuses plain HTTP on its port: no answer, nothing stored, counted and logged', async () => {
    const h = await start();
    const body = Buffer.from(JSON.stringify(wireCommit()));
    const plain = httpRequest(`http://127.0.0.1:${h.ingest.port}/v1/commits`, {
      method: 'POST',
      headers: signedHeaders(body, { nowMs: Date.now() }),
      body,
    });
    await expect(plain).rejects.toMatchObject({ code: 'ECONNRESET' });
    // No job, nor any lane's queue: the request never reached the app.
    const keys = await h.queue.redis.keys(`${h.config.queuePrefix}:*`);
    expect(keys.filter((k) => k.includes('{lane-'))).toEqual([]);
    expect(await metricsText(h.opsUrl)).toMatch(
      /^commitlog_ingest_tls_handshake_failures_total\{reason="plain_http"[^}]*\} 1$/m,
    );
    expect(h.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        reason: 'plain_http',
        code: 'ERR_SSL_HTTP_REQUEST',
        msg: expect.stringMatching(/plain HTTP to the TLS port/) as unknown,
      }),
    );
  });

  it('takes a renewed certificate without a restart, and keeps it when the next one is bad', async () => {
    const h = await start();
    expect((await postCommit(h.url, wireCommit({ key: 'k1' }))).serial).toBe(first.serial);

    // Replaced in place, as cert-manager renews a certificate.
    await writeFile(h.certFile, second.cert);
    await writeFile(h.keyFile, second.key);
    h.check();
    const renewed = await postCommit(h.url, wireCommit({ key: 'k2' }));
    expect(renewed.status).toBe(202);
    expect(renewed.serial).toBe(second.serial);
    expect(expirySerials(await metricsText(h.opsUrl))).toEqual([second.serial]);

    // A certificate whose key is not the one in the key file: refused, the renewed one kept.
    await writeFile(h.certFile, first.cert);
    h.check();
    const kept = await postCommit(h.url, wireCommit({ key: 'k3' }));
    expect(kept.status).toBe(202);
    expect(kept.serial).toBe(second.serial);
    const metrics = await metricsText(h.opsUrl);
    expect(expirySerials(metrics)).toEqual([second.serial]);
    expect(metrics).toMatch(/^commitlog_ingest_tls_reload_failures_total\{[^}]*\} 1$/m);
    const refusal = h.lines.find((line) => line.level === 'error');
    expect(refusal).toMatchObject({
      serial: second.serial,
      problems: [{ variable: 'INGEST_TLS_KEY_FILE' }],
    });
    expect(JSON.stringify(h.lines)).not.toContain('PRIVATE KEY');
  });

  it('refuses to start with half a certificate, in one line naming the missing variable', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const result = spawnSync(
      process.execPath,
      ['--disable-warning=TimeoutNegativeWarning', 'apps/ingest/src/main.ts'],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          INGEST_SECRETS: TEST_SECRET,
          INGEST_PORT: String(await freePort()),
          INGEST_OPS_PORT: String(await freePort()),
          INGEST_TLS_CERT_FILE: first.certFile,
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "commitlog ingest: invalid configuration: INGEST_TLS_KEY_FILE: is required when INGEST_TLS_CERT_FILE is set (the ingest's TLS certificate needs both files)\n",
    );
  });
});
