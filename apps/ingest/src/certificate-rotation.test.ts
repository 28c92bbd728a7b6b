import { createLogger, type TlsCredentials } from '@commitlog/runtime';
import { captureLogLines } from '@commitlog/testkit';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CERTIFICATE_CHECK_EVERY_MS,
  createCertificateRotation,
  watchCertificate,
  type Every,
} from './certificate-rotation.ts';
import type { CertificateInfo } from './certificate-info.ts';
import { makeTestCa, type IssuedCertificate } from './test-tls.ts';

const FILES = { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' };

let dir: string;
let first: IssuedCertificate;
let second: IssuedCertificate;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotation-'));
  const ca = await makeTestCa(dir);
  first = await ca.issue('first');
  second = await ca.issue('second');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A rotation over files held in memory, with what it served, told and logged. */
function harness(options: { refuseUse?: boolean } = {}) {
  const files = new Map<string, string>([
    [FILES.certFile, first.cert],
    [FILES.keyFile, first.key],
  ]);
  const used: TlsCredentials[] = [];
  const serving: CertificateInfo[] = [];
  let refused = 0;
  const capture = captureLogLines();
  const lines = capture.lines;
  const logger = createLogger({ service: 'ingest', level: 'debug', destination: capture });
  const rotation = createCertificateRotation({
    files: FILES,
    served: { cert: first.cert, key: first.key },
    use(credentials) {
      if (options.refuseUse) throw Object.assign(new Error('no'), { code: 'ERR_OSSL_X' });
      used.push(credentials);
    },
    onServing: (info) => serving.push(info),
    onRefused: () => refused++,
    logger,
    readFile(path) {
      const text = files.get(path);
      if (text === undefined) {
        throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
      }
      return text;
    },
  });
  return { rotation, files, used, serving, refused: () => refused, lines };
}

describe('the rotation of the ingest’s certificate', () => {
  it('tells the certificate served at the start, and does nothing while the files stay the same', () => {
    const h = harness();
    expect(h.serving.map((info) => info.serial)).toEqual([first.serial]);
    expect(h.serving[0]?.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(h.rotation.check()).toBe('unchanged');
    expect(h.used).toEqual([]);
    expect(h.lines).toEqual([]);
  });

  it('serves a new pair found in the files, and tells its serial', () => {
    const h = harness();
    h.files.set(FILES.certFile, second.cert);
    h.files.set(FILES.keyFile, second.key);
    expect(h.rotation.check()).toBe('rotated');
    expect(h.used).toEqual([{ cert: second.cert, key: second.key }]);
    expect(h.serving.map((info) => info.serial)).toEqual([first.serial, second.serial]);
    expect(h.lines).toMatchObject([
      { level: 'info', serial: second.serial, previousSerial: first.serial },
    ]);
    // Served now: the same files again are no change.
    expect(h.rotation.check()).toBe('unchanged');
    expect(h.used).toHaveLength(1);
  });

  it('keeps the old pair when the new one is refused, says why once a check, never the key', () => {
    const h = harness();
    const cases: [string, () => void, string, RegExp][] = [
      [
        'a key of another certificate',
        () => h.files.set(FILES.keyFile, second.key),
        'INGEST_TLS_KEY_FILE',
        /is not the private key of the certificate in "\/tls\/tls\.crt"$/,
      ],
      [
        'not PEM',
        () => h.files.set(FILES.certFile, 'not a certificate'),
        'INGEST_TLS_CERT_FILE',
        /^"\/tls\/tls\.crt" holds no usable PEM certificate: /,
      ],
      [
        'a file gone',
        () => h.files.delete(FILES.keyFile),
        'INGEST_TLS_KEY_FILE',
        /^cannot read "\/tls\/tls\.key": ENOENT/,
      ],
    ];
    for (const [name, spoil, variable, message] of cases) {
      h.files.set(FILES.certFile, first.cert);
      h.files.set(FILES.keyFile, first.key);
      h.lines.length = 0;
      spoil();
      expect(h.rotation.check(), name).toBe('refused');
      expect(h.lines, name).toHaveLength(1);
      const line = h.lines[0] as { level: string; msg: string; problems: unknown; serial: string };
      expect(line.level, name).toBe('error');
      expect(line.serial, name).toBe(first.serial);
      expect(line.msg, name).toMatch(/still serving the certificate read before/);
      expect(line.problems, name).toEqual([
        { variable, message: expect.stringMatching(message) as unknown },
      ]);
      expect(JSON.stringify(line), name).not.toMatch(/PRIVATE KEY|MIG/);
    }
    expect(h.used).toEqual([]);
    expect(h.refused()).toBe(3);
    expect(h.serving.map((info) => info.serial)).toEqual([first.serial]);
    // Checked again at the next tick: refused again while the files stay bad, served once good.
    expect(h.rotation.check()).toBe('refused');
    h.files.set(FILES.certFile, second.cert);
    h.files.set(FILES.keyFile, second.key);
    expect(h.rotation.check()).toBe('rotated');
    expect(h.used).toEqual([{ cert: second.cert, key: second.key }]);
  });

  it('keeps the old pair when Node refuses to serve the new one', () => {
    const h = harness({ refuseUse: true });
    h.files.set(FILES.certFile, second.cert);
    h.files.set(FILES.keyFile, second.key);
    expect(h.rotation.check()).toBe('refused');
    expect(h.refused()).toBe(1);
    expect(h.lines).toMatchObject([
      { problems: [{ variable: 'INGEST_TLS_CERT_FILE', message: 'not served: ERR_OSSL_X' }] },
    ]);
    // Still the old one: the same new files are tried again at the next check.
    expect(h.serving.map((info) => info.serial)).toEqual([first.serial]);
    expect(h.rotation.check()).toBe('refused');
  });

  it('checks once a minute, on the timer it is given, until stopped', () => {
    const h = harness();
    const ticks: { run: () => void; everyMs: number; cancelled: boolean }[] = [];
    const every: Every = (run, everyMs) => {
      const tick = { run, everyMs, cancelled: false };
      ticks.push(tick);
      return { cancel: () => (tick.cancelled = true) };
    };
    const stop = watchCertificate(
      h.rotation,
      createLogger({ service: 'ingest', level: 'silent' }),
      every,
    );
    expect(ticks).toHaveLength(1);
    expect(ticks[0]?.everyMs).toBe(CERTIFICATE_CHECK_EVERY_MS);
    expect(CERTIFICATE_CHECK_EVERY_MS).toBe(60_000);
    h.files.set(FILES.certFile, second.cert);
    h.files.set(FILES.keyFile, second.key);
    expect(h.used).toEqual([]);
    ticks[0]?.run();
    expect(h.used).toEqual([{ cert: second.cert, key: second.key }]);
    stop();
    expect(ticks[0]?.cancelled).toBe(true);
  });
});
