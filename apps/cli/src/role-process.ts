import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { ROLE_NODE_ARGS, roleProcessEnv, type RoleName } from '@commitlog/runtime/role-process-env';

/** The roles that run as their own process, each from its app's `src/main.ts`. */
export type Role = RoleName;

/**
 * Starts one role as a child process on this Node. The CLI never imports an app (apps never import
 * apps): it runs the app's entry file, which is also what a container or a pod runs. The
 * role gets the Node and V8 settings of `roleProcessEnv` (heap sizing; why: there).
 */
export function spawnRole(
  role: Role,
  options: { repoRoot: string; env: NodeJS.ProcessEnv; stdio: StdioOptions },
): ChildProcess {
  return spawn(
    process.execPath,
    [...ROLE_NODE_ARGS, join(options.repoRoot, 'apps', role, 'src', 'main.ts')],
    { cwd: options.repoRoot, env: roleProcessEnv(role, options.env), stdio: options.stdio },
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
