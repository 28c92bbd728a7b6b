import { signRequest, SIGNATURE_HEADER } from '@commitlog/core';
import { readFileSync } from 'node:fs';
import { CliError } from '../cli-error.ts';
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
  const base = (options.env.INGEST_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const url = `${base}/v1/commits${isBatch ? '/batch' : ''}`;
  const [secret] = localSecrets(options.repoRoot, options.env);
  if (!secret) throw new CliError('NO_SECRET', 'no signing secret (set INGEST_SECRETS)');

  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signRequest(secret, body, Date.now() / 1000),
      },
      body,
    });
  } catch (error) {
    throw new CliError('INGEST_UNREACHABLE', `cannot reach ${url}: ${(error as Error).message}`);
  }
  const text = await response.text();
  options.out(`${response.status} ${text}`);
  if (!response.ok) throw new CliError('POST_REFUSED', `the ingest answered ${response.status}`);
}
