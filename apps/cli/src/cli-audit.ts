import { userInfo, hostname } from 'node:os';
import { appendAudit, type RedisConnection } from '@commitlog/queue';
import { oneLine } from '@commitlog/runtime/one-line';
import { CliError } from './cli-error.ts';

/**
 * Who runs the CLI, for its audit records: COMMITLOG_OPERATOR when set (a shared account or a
 * pod's shell says nothing of the person), else the login (the one behind sudo) and the host.
 * Kept on one line (`oneLine`): each reader of the trail shows it, and a new line or an escape
 * sequence in the variable would forge a record there or drive a terminal.
 */
export function cliOperator(
  env: NodeJS.ProcessEnv,
  host: () => string = hostname,
  login: () => string = () => userInfo().username,
): string {
  const named = env.COMMITLOG_OPERATOR?.trim();
  if (named) return oneLine(named);
  let user = env.SUDO_USER?.trim();
  if (!user) {
    try {
      user = login();
    } catch {
      user = '(unknown)';
    }
  }
  return oneLine(`${user}@${host()}`);
}

export interface AuditedCliAction<T> {
  redis: RedisConnection;
  prefix: string;
  by: string;
  /** The command: `redrive`, `discard`. */
  action: string;
  /** What it was asked to do (its filter, its job id). */
  asked: Record<string, unknown>;
  run: () => Promise<T>;
  /** What it did, for the closing record. */
  outcome: (result: T) => Record<string, unknown>;
  /** What it did before it failed part-way, when the error tells (for the closing record). */
  outcomeBefore?: (error: unknown) => Record<string, unknown> | undefined;
  /** A warning line on the terminal. */
  err: (line: string) => void;
}

/**
 * Runs an operator's action on deliveries between two records in the audit trail: one before,
 * without which nothing is done (an action nobody can account for later is refused), and one
 * after, with what it did, or, when it failed part-way, the failure's code and what it did
 * before, as far as the error tells. A closing record that
 * cannot be written is said on the terminal: the action is done, and the opening record names it.
 */
export async function auditedCliAction<T>(action: AuditedCliAction<T>): Promise<T> {
  const write = (detail: Record<string, unknown>) =>
    appendAudit(action.redis, action.prefix, {
      at: new Date().toISOString(),
      by: action.by,
      via: 'cli',
      action: action.action,
      detail,
    });
  let opened: string;
  try {
    opened = await write({ ...action.asked, phase: 'started' });
  } catch (error) {
    throw new CliError(
      'AUDIT_UNAVAILABLE',
      `${action.action}: nothing done: its audit record could not be written to Redis (${messageOf(error)})`,
    );
  }
  let result: T;
  try {
    result = await action.run();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    await write({
      ...action.asked,
      phase: 'failed',
      opened,
      error: typeof code === 'string' ? code : 'ERROR',
      ...action.outcomeBefore?.(error),
    }).catch(() => undefined);
    throw error;
  }
  await write({ ...action.asked, phase: 'done', opened, ...action.outcome(result) }).catch(
    (error: unknown) =>
      action.err(
        `${action.action}: done, but its closing audit record could not be written to Redis (${messageOf(error)}); the opening one is ${opened}`,
      ),
  );
  return result;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
