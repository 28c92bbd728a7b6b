// INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE: read and checked at start-up with the rules of
// the other TLS file settings, every mistake one problem naming its variable, never the key.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadIngestConfig, type ConfigProblem } from './config.ts';
import { describeConfig } from './describe-config.ts';

const SECRET = 's'.repeat(32);

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const FILES: Record<string, string> = {
  // A certificate and its key (the fixtures' client certificate serves as well as any).
  'tls.crt': fixture('test-client.pem'),
  'tls.key': fixture('test-client.key'),
  'chain.crt': `${fixture('test-client.pem')}${fixture('test-ca.pem')}`,
  'other.key': other.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  'encrypted.key': other.privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: 'passphrase',
  }) as string,
  'garbage.txt': 'not PEM at all',
};

function load(env: Record<string, string>) {
  return loadIngestConfig(
    { INGEST_SECRETS: SECRET, ...env },
    {
      readFile: (path) => {
        const text = FILES[path];
        if (text === undefined) {
          throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
            code: 'ENOENT',
          });
        }
        return text;
      },
    },
  );
}

/** The one line the ingest prints when it refuses to start, and the problems behind it. */
function refusal(env: Record<string, string>): { line: string; problems: ConfigProblem[] } {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { line: (error as ConfigError).message, problems: (error as ConfigError).problems };
  }
  throw new Error('expected a ConfigError');
}

describe('the ingest’s TLS settings', () => {
  it('serve plain HTTP without them', () => {
    expect(load({}).tls).toBeUndefined();
  });

  it('read the certificate (and its chain) and the key, and log neither', () => {
    const config = load({ INGEST_TLS_CERT_FILE: 'chain.crt', INGEST_TLS_KEY_FILE: 'tls.key' });
    expect(config.tls).toEqual({
      cert: FILES['chain.crt'],
      key: FILES['tls.key'],
      certFile: 'chain.crt',
      keyFile: 'tls.key',
    });
    expect(describeConfig(config).tls).toEqual({
      cert: '[PEM: 2 blocks]',
      key: '[redacted]',
      certFile: 'chain.crt',
      keyFile: 'tls.key',
    });
  });

  it('refuse every mistake with one line naming the variable and the reason, never the key', () => {
    const cases: [Record<string, string>, string][] = [
      [
        { INGEST_TLS_CERT_FILE: 'tls.crt' },
        "INGEST_TLS_KEY_FILE: is required when INGEST_TLS_CERT_FILE is set (the ingest's TLS certificate needs both files)",
      ],
      [
        { INGEST_TLS_KEY_FILE: 'tls.key' },
        "INGEST_TLS_CERT_FILE: is required when INGEST_TLS_KEY_FILE is set (the ingest's TLS certificate needs both files)",
      ],
      [
        { INGEST_TLS_CERT_FILE: 'missing.crt', INGEST_TLS_KEY_FILE: 'tls.key' },
        `INGEST_TLS_CERT_FILE: cannot read "missing.crt": ENOENT: no such file or directory, open 'missing.crt'`,
      ],
      [
        { INGEST_TLS_CERT_FILE: 'garbage.txt', INGEST_TLS_KEY_FILE: 'tls.key' },
        'INGEST_TLS_CERT_FILE: "garbage.txt" holds no usable PEM certificate: no -----BEGIN CERTIFICATE----- block',
      ],
      [
        { INGEST_TLS_CERT_FILE: 'tls.crt', INGEST_TLS_KEY_FILE: 'garbage.txt' },
        'INGEST_TLS_KEY_FILE: "garbage.txt" holds no usable PEM private key: ',
      ],
      [
        { INGEST_TLS_CERT_FILE: 'tls.crt', INGEST_TLS_KEY_FILE: 'other.key' },
        'INGEST_TLS_KEY_FILE: "other.key" is not the private key of the certificate in "tls.crt"',
      ],
      [
        { INGEST_TLS_CERT_FILE: 'tls.crt', INGEST_TLS_KEY_FILE: 'encrypted.key' },
        'INGEST_TLS_KEY_FILE: "encrypted.key" is an encrypted private key; give the key unencrypted',
      ],
    ];
    for (const [env, expected] of cases) {
      const { line, problems } = refusal(env);
      expect(problems, expected).toHaveLength(1);
      expect(line.startsWith(`invalid configuration: ${expected}`), line).toBe(true);
      expect(line).not.toContain('\n');
      expect(line).not.toMatch(/PRIVATE KEY|MII/);
    }
  });
});
