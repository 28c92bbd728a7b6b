import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';

/** The roles that run as their own process, each from its app's `src/main.ts`. */
export type Role = 'ingest' | 'worker' | 'dashboard';

/**
 * Starts one role as a child process on this Node. The CLI never imports an app (apps never import
 * apps): it runs the app's entry file, which is also what a container or a pod runs.
 */
export function spawnRole(
  role: Role,
  options: { repoRoot: string; env: NodeJS.ProcessEnv; stdio: StdioOptions },
): ChildProcess {
  return spawn(
    process.execPath,
    // kafkajs 2.2.4 trips a harmless Node 24 timer warning on every connection (kafkajs#1751).
    [
      '--disable-warning=TimeoutNegativeWarning',
      join(options.repoRoot, 'apps', role, 'src', 'main.ts'),
    ],
    { cwd: options.repoRoot, env: options.env, stdio: options.stdio },
  );
}

/** Runs a role in the foreground: signals go to it, and its exit code becomes ours. */
export function runRoleInForeground(
  role: Role,
  options: { repoRoot: string; env: NodeJS.ProcessEnv },
): Promise<number> {
  const child = spawnRole(role, { ...options, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onTerm = forward('SIGTERM');
  const onInt = forward('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
