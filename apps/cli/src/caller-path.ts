import { isAbsolute, resolve } from 'node:path';

/**
 * A file named on the command line, read from where the user typed the command. `./commitlog`
 * changes to the repository root before it runs the CLI, and says where it was called from in
 * COMMITLOG_CALLER_DIR: a relative path is resolved against that directory, so that
 * `../commitlog requeue failures.log` reads the failures.log beside the user, not the one in the
 * repository. Without it (the CLI run directly), a path is left as it is, for the working directory.
 * An absolute path is never changed.
 */
export function callerPath(file: string, env: NodeJS.ProcessEnv): string {
  const dir = env.COMMITLOG_CALLER_DIR;
  return dir && !isAbsolute(file) ? resolve(dir, file) : file;
}
