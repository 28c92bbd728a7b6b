import { readFileSync } from 'node:fs';
import { CliError } from '../cli-error.ts';
import { ingestBaseUrl, postSigned } from '../ingest-client.ts';
import { localSecrets } from '../local-secret.ts';

export interface PostOptions {
  file: string;
  repoRoot: string;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
}

/**
 * `commitlog post FILE`: signs a commit (or a `{"commits": [...]}` batch) from a JSON file the way
 * the Riak hook does and posts it to the ingest (INGEST_URL, default http://127.0.0.1:8080).
 */
export async function post(options: PostOptions): Promise<void> {
  let body: Buffer;
  try {
    body = readFileSync(options.file);
  } catch (error) {
    throw new CliError(
      'FILE_UNREADABLE',
      `cannot read ${options.file}: ${(error as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new CliError('INVALID_JSON', `${options.file} is not valid JSON`);
  }
  const isBatch = typeof parsed === 'object' && parsed !== null && 'commits' in parsed;
  const url = `${ingestBaseUrl(options.env)}/v1/commits${isBatch ? '/batch' : ''}`;
  const [secret] = localSecrets(options.repoRoot, options.env);
  if (!secret) throw new CliError('NO_SECRET', 'no signing secret (set INGEST_SECRETS)');

  const answer = await postSigned({ url, secret, body }).catch((error: unknown) => {
    throw new CliError('INGEST_UNREACHABLE', `cannot reach ${url}: ${(error as Error).message}`);
  });
  options.out(
    `${answer.status} ${typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)}`,
  );
  if (answer.status < 200 || answer.status > 299) {
    throw new CliError('POST_REFUSED', `the ingest answered ${answer.status}`);
  }
}
