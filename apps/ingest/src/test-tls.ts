/**
 * Throwaway certificates and an HTTPS client for the ingest's TLS tests (test code only): a CA
 * of the test's own, and as many server certificates for 127.0.0.1 and localhost as it asks,
 * each with its own key and serial, made with openssl (EC P-256: quick to make).
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { readResponse, type TestResponse } from './test-http.ts';

const run = promisify(execFile);

/** A server certificate, its key, and their files. */
export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
  /** As `openssl x509 -serial` and Node's `getPeerCertificate().serialNumber` print it. */
  serial: string;
}

export interface TestCa {
  caFile: string;
  caPem: string;
  /** A new key and a certificate for it, signed by this CA, as `<name>.pem` and `<name>.key`. */
  issue(name: string): Promise<IssuedCertificate>;
}

/** A CA in `dir` (a path without spaces: each command is split on them). */
export async function makeTestCa(dir: string): Promise<TestCa> {
  const openssl = (command: string) => run('openssl', command.split(' '));
  const newKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(
    `req -x509 ${newKey} -days 2 -subj /CN=ingest-test-CA -keyout ${dir}/ca.key -out ${dir}/ca.pem`,
  );
  const caPem = await readFile(join(dir, 'ca.pem'), 'utf8');
  return {
    caFile: join(dir, 'ca.pem'),
    caPem,
    async issue(name) {
      const base = join(dir, name);
      await openssl(`req ${newKey} -subj /CN=127.0.0.1 -keyout ${base}.key -out ${base}.csr`);
      await openssl(
        `x509 -req -days 2 -in ${base}.csr -CA ${dir}/ca.pem -CAkey ${dir}/ca.key -CAcreateserial -extfile ${dir}/server.ext -out ${base}.pem`,
      );
      const [cert, key] = await Promise.all([
        readFile(`${base}.pem`, 'utf8'),
        readFile(`${base}.key`, 'utf8'),
      ]);
      const { stdout } = await openssl(`x509 -in ${base}.pem -noout -serial`);
      const serial = stdout.trim().replace(/^serial=/, '');
      return { certFile: `${base}.pem`, keyFile: `${base}.key`, cert, key, serial };
    },
  };
}

/**
 * An HTTPS request trusting `ca` only, on a connection of its own (no agent: each request makes
 * a new handshake, so it sees the certificate served now). `serial` is the certificate's.
 */
export function httpsRequest(
  url: string,
  ca: string,
  options: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string } = {},
): Promise<TestResponse & { serial: string }> {
  const requestOptions: RequestOptions = {
    method: options.method ?? 'GET',
    headers: options.headers,
    ca,
    agent: false,
  };
  return new Promise((resolve, reject) => {
    const req = request(url, requestOptions, (res) => {
      const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
      readResponse(res).then((read) => resolve({ ...read, serial }), reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
