import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConfigProblem } from './config-error.ts';
import type { ConfigDeps } from './config-types.ts';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The PEM certificates of `KAFKA_SSL_CA_FILE`, checked now: a file that cannot be read or holds no
 * certificate would otherwise surface as a refused TLS handshake on every delivery. Undefined
 * without a file. Problems are reported on `variable`.
 */
export function readCaFile(
  variable: string,
  path: string | undefined,
  deps: ConfigDeps,
  problems: ConfigProblem[],
): string | undefined {
  if (path === undefined) return undefined;
  const readFile = deps.readFile ?? ((file: string) => readFileSync(file, 'utf8'));
  let contents: string;
  try {
    contents = readFile(path);
  } catch (error) {
    problems.push({ variable, message: `cannot read ${JSON.stringify(path)}: ${describe(error)}` });
    return undefined;
  }
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
