import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A CA of a test's own, and a server and a client certificate it signed, as PEM files. */
export interface TestCertificates {
  /** The CA's certificate: what a client is told to trust. */
  caFile: string;
  caPem: string;
  /** The server's certificate, for 127.0.0.1 and localhost. */
  certFile: string;
  /** The server's private key (unencrypted PKCS#8). */
  keyFile: string;
  /** Key then certificate in one file: Kafka's PEM key store. */
  keyStoreFile: string;
  /** A client certificate the same CA signed (mutual TLS), and its key, as files and as PEM. */
  client: { certFile: string; keyFile: string; cert: string; key: string };
}

/**
 * Makes the certificates with openssl (RSA 2048, valid for two days) into `dir`, which must be a
 * path without spaces (mkdtemp's): each command is split on them.
 */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const openssl = (command: string) => run('openssl', command.split(' '));
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  await openssl(
    `req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=commitlog-test-CA -keyout ${dir}/ca.key -out ${dir}/ca.pem`,
  );
  await openssl(
    `req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout ${dir}/server.key -out ${dir}/server.csr`,
  );
  await openssl(
    `x509 -req -days 2 -in ${dir}/server.csr -CA ${dir}/ca.pem -CAkey ${dir}/ca.key -CAcreateserial -extfile ${dir}/server.ext -out ${dir}/server.pem`,
  );
  await openssl(
    `req -newkey rsa:2048 -nodes -subj /CN=commitlog-client -keyout ${dir}/client.key -out ${dir}/client.csr`,
  );
  await openssl(
    `x509 -req -days 2 -in ${dir}/client.csr -CA ${dir}/ca.pem -CAkey ${dir}/ca.key -CAcreateserial -extfile ${dir}/client.ext -out ${dir}/client.pem`,
  );
  const [key, cert, caPem, clientKey, clientCert] = await Promise.all(
    ['server.key', 'server.pem', 'ca.pem', 'client.key', 'client.pem'].map((f) =>
      readFile(join(dir, f), 'utf8'),
    ),
  );
  await writeFile(join(dir, 'server-keystore.pem'), `${key}${cert}`);
  return {
    caFile: join(dir, 'ca.pem'),
    caPem: caPem!,
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    keyStoreFile: join(dir, 'server-keystore.pem'),
    client: {
      certFile: join(dir, 'client.pem'),
      keyFile: join(dir, 'client.key'),
      cert: clientCert!,
      key: clientKey!,
    },
  };
}
