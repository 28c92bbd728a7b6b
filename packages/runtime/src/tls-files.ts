import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConfigProblem } from './config-error.ts';
import type { ConfigDeps } from './config-types.ts';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The PEM certificates of a CA file (`KAFKA_SSL_CA_FILE`, `REDIS_TLS_CA_FILE`), checked now: a
 * file that cannot be read or holds no certificate would otherwise surface as a refused TLS
 * handshake on every connection. Undefined without a file. Problems are reported on `variable`.
 */
export function readCaFile(
  variable: string,
  path: string | undefined,
  deps: ConfigDeps,
  problems: ConfigProblem[],
): string | undefined {
  if (path === undefined) return undefined;
  const contents = readText(variable, path, deps, problems);
  if (contents === undefined) return undefined;
  const blocks = contents.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    problems.push({
      variable,
      message: `${JSON.stringify(path)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    });
    return undefined;
  }
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      problems.push({
        variable,
        message: `${JSON.stringify(path)}: certificate ${i + 1} of ${blocks.length} does not parse: ${describe(error)}`,
      });
      return undefined;
    }
  }
  return blocks.join('\n');
}

/** A client certificate and its private key, as PEM text. */
export interface ClientCertificate {
  cert: string;
  key: string;
}

/**
 * A client certificate (mutual TLS) from a certificate file and a key file: both or neither, the
 * certificate must parse, the key must be an unencrypted PEM private key, and the two must belong
 * together. Checked now, because each mistake would otherwise show up as a handshake the server
 * refuses, with no word on which file is wrong. The key is never part of a message.
 */
export function readClientCertificate(
  variables: { cert: string; key: string },
  paths: { cert: string | undefined; key: string | undefined },
  deps: ConfigDeps,
  problems: ConfigProblem[],
): ClientCertificate | undefined {
  return readCertificatePair(variables, paths, deps, problems, 'a client certificate');
}

/**
 * A certificate (its chain may follow it) and its private key, from two files, with the rules of
 * `readClientCertificate`; `what` names the pair in the message for a missing half (e.g. `the
 * ingest's certificate`). Also what a server re-reads when its files are replaced: `problems`
 * then says why the new pair is refused.
 */
export function readCertificatePair(
  variables: { cert: string; key: string },
  paths: { cert: string | undefined; key: string | undefined },
  deps: ConfigDeps,
  problems: ConfigProblem[],
  what: string,
): ClientCertificate | undefined {
  if (paths.cert === undefined && paths.key === undefined) return undefined;
  if (paths.cert === undefined || paths.key === undefined) {
    const [missing, present] =
      paths.cert === undefined ? [variables.cert, variables.key] : [variables.key, variables.cert];
    problems.push({
      variable: missing,
      message: `is required when ${present} is set (${what} needs both files)`,
    });
    return undefined;
  }
  const certText = readText(variables.cert, paths.cert, deps, problems);
  const keyText = readText(variables.key, paths.key, deps, problems);
  if (certText === undefined || keyText === undefined) return undefined;
  const certBlock = certText.match(PEM_CERTIFICATE)?.[0];
  let certificate: X509Certificate;
  try {
    if (certBlock === undefined) throw new Error('no -----BEGIN CERTIFICATE----- block');
    certificate = new X509Certificate(certBlock);
  } catch (error) {
    problems.push({
      variable: variables.cert,
      message: `${JSON.stringify(paths.cert)} holds no usable PEM certificate: ${describe(error)}`,
    });
    return undefined;
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey({ key: keyText, format: 'pem' });
  } catch (error) {
    const encrypted = /ENCRYPTED/.test(keyText);
    problems.push({
      variable: variables.key,
      message: encrypted
        ? `${JSON.stringify(paths.key)} is an encrypted private key; give the key unencrypted (e.g. \`openssl pkey -in KEY -out KEY.plain\`) and protect the file instead`
        : `${JSON.stringify(paths.key)} holds no usable PEM private key: ${describeKeyError(error)}`,
    });
    return undefined;
  }
  if (!certificate.checkPrivateKey(key)) {
    problems.push({
      variable: variables.key,
      message: `${JSON.stringify(paths.key)} is not the private key of the certificate in ${JSON.stringify(paths.cert)}`,
    });
    return undefined;
  }
  return { cert: certText, key: keyText };
}

function readText(
  variable: string,
  path: string,
  deps: ConfigDeps,
  problems: ConfigProblem[],
): string | undefined {
  const readFile = deps.readFile ?? ((file: string) => readFileSync(file, 'utf8'));
  try {
    return readFile(path);
  } catch (error) {
    problems.push({ variable, message: `cannot read ${JSON.stringify(path)}: ${describe(error)}` });
    return undefined;
  }
}

/** OpenSSL's reason, without anything of the key itself. */
function describeKeyError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'not a private key';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
