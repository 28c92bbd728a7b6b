import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { callerPath } from './caller-path.ts';
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
    {
      cwd: options.repoRoot,
      env: roleProcessEnv(role, filesFromCaller(options.env)),
      stdio: options.stdio,
    },
  );
}

/** The settings that name a file the role reads. */
const FILE_SETTINGS = [
  'ROUTES_FILE',
  'REDIS_TLS_CA_FILE',
  'REDIS_TLS_CERT_FILE',
  'REDIS_TLS_KEY_FILE',
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SSL_CERT_FILE',
  'KAFKA_SSL_KEY_FILE',
] as const;

/**
 * `env` with its relative file settings resolved from where the user typed the command (as file
 * arguments are, `callerPath`): the role runs in the repository root, where
 * `ROUTES_FILE=routes.json ../commitlog worker` read another file, or none, than the user's.
 */
export function filesFromCaller(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const resolved = { ...env };
  for (const name of FILE_SETTINGS) {
    const file = env[name];
    // Trimmed, as the role reads it: ' /etc/x' is an absolute path, not one under the caller's.
    if (file !== undefined && file.trim() !== '') resolved[name] = callerPath(file.trim(), env);
  }
  return resolved;
}

/** Runs a role in the foreground: signals go to it, and its exit code becomes ours. */
export function runRoleInForeground(
  role: Role,
  options: {
    repoRoot: string;
    env: NodeJS.ProcessEnv;
    /** Where SIGTERM and SIGINT are heard; the process's own by default. */
    signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  },
): Promise<number> {
  const signals = options.signals ?? process;
  const child = spawnRole(role, { ...options, stdio: 'inherit' });
  let forwarded: NodeJS.Signals | undefined;
  const forward = (signal: NodeJS.Signals) => () => {
    forwarded = signal;
    child.kill(signal);
  };
  const onTerm = forward('SIGTERM');
  const onInt = forward('SIGINT');
  signals.on('SIGTERM', onTerm);
  signals.on('SIGINT', onInt);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
      if (code !== null) return resolve(code);
      // Stopped by the signal it was sent before it could handle it (still loading its code): a
      // stop asked for, not a failure (a pod deleted as it started).
      resolve(signal === null || signal === forwarded ? 0 : 1);
    });
  });
}
