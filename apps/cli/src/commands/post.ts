import { readFile } from 'node:fs/promises';
import { CliError } from '../cli-error.ts';
import { postSigned } from '../ingest-client.ts';
import { readIngestTarget } from '../ingest-target.ts';
import { jsonSyntaxReason } from '../json-syntax-reason.ts';
import { checkReadableFile } from '../readable-file.ts';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface PostOptions {
  file: string;
  /** Where `.data/ingest-secret` is looked for when INGEST_SECRETS is not set. */
  repoRoot: string;
  /** INGEST_URL (default http://127.0.0.1:8080) and INGEST_SECRETS come from here. */
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
}

/**
 * `commitlog post FILE`: signs a commit (or a `{"commits": [...]}` batch) from a JSON file the way
 * the Riak hook does and posts it to the ingest (INGEST_URL, default http://127.0.0.1:8080). The
 * file and the configuration are checked before the local secret may be created. An ingest that
 * cannot be reached ends it with the reason (`cannot reach …: ECONNREFUSED`).
 */
export async function post(options: PostOptions): Promise<void> {
  await checkReadableFile(options.file);
  const read = await readFile(options.file).catch((error: unknown) => {
    throw new CliError(
      'FILE_UNREADABLE',
      `cannot read ${options.file}: ${(error as Error).message}`,
    );
  });
  // A byte order mark (a file saved by Notepad) is no part of the JSON, which JSON.parse refuses
  // with it: taken off both what is parsed and what is sent (and signed), which stay the same bytes.
  const body = read.subarray(0, 3).equals(UTF8_BOM) ? read.subarray(3) : read;
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      'INVALID_JSON',
      `${options.file} is not valid JSON: ${jsonSyntaxReason(text, (error as Error).message)}`,
    );
  }
  const isBatch = typeof parsed === 'object' && parsed !== null && 'commits' in parsed;
  const target = readIngestTarget(options.repoRoot, options.env);
  const url = `${target.baseUrl}/v1/commits${isBatch ? '/batch' : ''}`;

  const answer = await postSigned({ url, secret: target.secret, body });
  options.out(
    `${answer.status} ${typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)}`,
  );
  if (answer.status < 200 || answer.status > 299) {
    throw new CliError('POST_REFUSED', `the ingest answered ${answer.status}${why(answer.body)}`);
  }
}

/** The error an answer's body names (`{"error": {"code", "message"}}`), for the one line of a refusal. */
function why(body: unknown): string {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string') return '';
  return typeof error.message === 'string' ? ` ${error.code}: ${error.message}` : ` ${error.code}`;
}
