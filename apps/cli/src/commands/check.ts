import {
  loadDashboardConfig,
  loadIngestConfig,
  loadWorkerConfig,
  roleHeapLimitBytes,
  workerSettingWarnings,
} from '@commitlog/runtime';
import { CliError } from '../cli-error.ts';
import { filesFromCaller, type Role } from '../role-process.ts';

const ROLES: readonly Role[] = ['ingest', 'worker', 'dashboard'];

export interface CheckOptions {
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
}

/** The role `check` is asked about: its one argument. */
export function parseCheckArgs(args: readonly string[]): Role {
  const [role, ...extra] = args;
  if (role === undefined || extra.length > 0 || !ROLES.includes(role as Role)) {
    throw new CliError('USAGE', `check takes one argument, the role: ${ROLES.join(', ')}`, 2);
  }
  return role as Role;
}

/** `n` and a noun, plural unless n is 1. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function routesSaid(file: string | undefined, routes: readonly unknown[]): string {
  return file === undefined
    ? 'no ROUTES_FILE'
    : `${count(routes.length, 'route rule')} from ${file}`;
}

/**
 * `commitlog check ROLE`: reads and checks a role's configuration from the environment, and the
 * files it names (a routes file, TLS files), exactly as the role does at start-up, without
 * starting it or connecting to anything. For a rollout: a setting the new version refuses is
 * found before its pods crash-loop on it (a routes file that an older version took, say). Prints
 * one line when it is valid, then a line for each setting the role would warn about as it starts
 * (exit 0: the role runs with it); throws the role's `ConfigError` (one line naming every bad
 * variable, exit 1) when not. Never prints a secret.
 */
export function check(options: CheckOptions): void {
  const role = parseCheckArgs(options.args);
  // Relative file settings from where the command is typed, as a role started from here reads them.
  const env = filesFromCaller(options.env);
  const { found, warnings } = checkRole(role, env);
  options.out(
    `check: the ${role}'s configuration is valid (${found}); Redis and Kafka were not contacted: the role checks them as it starts`,
  );
  for (const warning of warnings) options.out(`check: warning: ${warning}`);
}

/**
 * Loads the role's configuration (throwing its `ConfigError`), and says what it found and what
 * the role would warn about as it starts.
 */
function checkRole(role: Role, env: NodeJS.ProcessEnv): { found: string; warnings: string[] } {
  switch (role) {
    case 'ingest': {
      // Its in-flight budget is checked against the role process's heap, not this one's.
      const heap = roleHeapLimitBytes('ingest', env);
      const c = loadIngestConfig(env, heap === undefined ? {} : { heapLimitBytes: heap });
      const found = `${routesSaid(c.routesFile, c.routes)}, ${count(c.secrets.length, 'signing secret')}`;
      return { found, warnings: [] };
    }
    case 'worker': {
      const c = loadWorkerConfig(env);
      const found = `${routesSaid(c.routesFile, c.routes)}, ${count(c.kafka.brokers.length, 'Kafka broker')}`;
      return { found, warnings: workerSettingWarnings(c).map((w) => w.message) };
    }
    case 'dashboard':
      return {
        found: count(loadDashboardConfig(env).users.length, 'dashboard user'),
        warnings: [],
      };
  }
}
