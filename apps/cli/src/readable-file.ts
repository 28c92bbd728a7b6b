import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { CliError } from './cli-error.ts';

/** Why a file cannot be read, in words; the errno code for the rare others. */
export function whyUnreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? (error as Error).message;
}

/**
 * Checks that `file` can be read as a file before a command does anything else, so that a wrong
 * path ends it before it writes anything (such as `.data/ingest-secret`). A pipe is accepted too
 * (`commitlog post <(…)`, `/dev/stdin`); a directory or a device is not.
 *
 * @throws CliError `FILE_UNREADABLE` naming the file and the reason
 */
export async function checkReadableFile(file: string): Promise<void> {
  const refuse = (reason: string): CliError =>
    new CliError('FILE_UNREADABLE', `cannot read ${file}: ${reason}`);
  const stats = await stat(file).catch((error: unknown) => {
    throw refuse(whyUnreadable(error));
  });
  if (stats.isDirectory()) throw new CliError('FILE_UNREADABLE', `${file} is a directory`);
  if (!stats.isFile() && !stats.isFIFO()) throw refuse('not a regular file');
  await access(file, constants.R_OK).catch((error: unknown) => {
    throw refuse(whyUnreadable(error));
  });
}
