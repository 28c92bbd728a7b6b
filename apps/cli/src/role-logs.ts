/**
 * The log of a role that `commitlog up` starts: opened before any role starts, and read for why a
 * role did not come up.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './cli-error.ts';
import type { Role } from './role-process.ts';

/** The last line of a role's log, at most 300 characters; empty when there is none. */
function lastLogLine(logFile: string): string {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    // No log yet.
  }
  const line = text.trimEnd().split('\n').at(-1) ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * Why a role did not come up, in one line: whether it exited or kept running, and its log's
 * last line (the role's own error, most often) with where to read the rest.
 */
export function roleFailure(
  role: Role,
  url: string,
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined,
  logFile: string,
  lastLine: string,
): string {
  const what =
    exit === undefined
      ? `did not answer at ${url} within 60 s`
      : `exited (${exit.signal ?? `code ${exit.code}`}) before it answered at ${url}`;
  const said = lastLine === '' ? 'its log is empty' : `its log ends: ${lastLine}`;
  return `the ${role} ${what}; ${said} (all of it in ${logFile})`;
}

/** Waits until the role answers `/healthz` at `url`; `ROLE_FAILED` when it exits or times out. */
export async function waitHealthy(
  role: Role,
  url: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  while (Date.now() < deadline) {
    if (exited()) break;
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const exit = exited() ? { code: child.exitCode, signal: child.signalCode } : undefined;
  throw new CliError('ROLE_FAILED', roleFailure(role, url, exit, logFile, lastLogLine(logFile)));
}

/**
 * Opens every role's log for appending before any role starts: a log that cannot be written (a
 * directory in its place, a file left by a run as another user) is then one line, with nothing
 * started, rather than a stream error after the roles are running.
 */
export function openRoleLogs(logDir: string, roles: readonly Role[]): Map<Role, number> {
  const fds = new Map<Role, number>();
  try {
    for (const role of roles) {
      const file = join(logDir, `${role}.log`);
      try {
        fds.set(role, openSync(file, 'a'));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new CliError('LOG_UNWRITABLE', `cannot write the ${role}'s log ${file} (${code})`);
      }
    }
  } catch (error) {
    for (const fd of fds.values()) closeSync(fd);
    throw error;
  }
  return fds;
}
