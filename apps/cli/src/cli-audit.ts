import { userInfo, hostname } from 'node:os';
import { appendAudit, type RedisConnection } from '@commitlog/queue';
import { oneLine } from '@commitlog/runtime/one-line';
import { CliError } from './cli-error.ts';
import { runStoppable, SIGNAL_EXIT_CODES, type SignalSource } from './stop-signals.ts';

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
  /** Stops part-way, between two steps, once `signal` is aborted (Ctrl-C), if it can. */
  run: (signal: AbortSignal) => Promise<T>;
  /** What it did, for the closing record. */
  outcome: (result: T) => Record<string, unknown>;
  /** What it did before it failed part-way, when the error tells (for the closing record). */
  outcomeBefore?: (error: unknown) => Record<string, unknown> | undefined;
  /** A warning line on the terminal. */
  err: (line: string) => void;
  /**
   * How often, and how far apart, the closing record is tried; 30 times a second apart by
   * default: Redis is often what stopped the run, and a failover or restart is over by then.
   */
  closingTries?: { tries: number; pauseMs: number };
  /**
   * Where SIGINT, SIGTERM and SIGHUP are heard while it runs (`runStoppable`); the process's own
   * by default.
   */
  signals?: SignalSource;
}

/** How often the closing record is tried, and how far apart (`closingTries`). */
const CLOSING_TRIES = { tries: 30, pauseMs: 1000 };

/**
 * Runs an operator's action on deliveries between two records in the audit trail: one before,
 * without which nothing is done (an action nobody can account for later is refused), and one
 * after, with what it did, or, when it failed or was stopped (Ctrl-C) part-way, the failure's
 * code and what it did before, as far as the error tells. A closing record that
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
  const { tries, pauseMs } = action.closingTries ?? CLOSING_TRIES;
  /** The closing record, tried again while Redis does not take it; said when it never does. */
  const close = async (
    phase: string,
    detail: Record<string, unknown>,
    what: string,
  ): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await write({ ...action.asked, phase, opened, ...detail });
        return;
      } catch (error) {
        if (attempt >= tries) {
          action.err(
            `${action.action}: ${what}, but its closing audit record could not be written to Redis (${messageOf(error)}); the opening one is ${opened}`,
          );
          return;
        }
        if (attempt === 1) {
          action.err(
            `${action.action}: ${what}; writing its closing audit record once Redis takes it (${messageOf(error)})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
  };
  // Ctrl-C, a supervisor's SIGTERM or a dropped SSH session (SIGHUP) stops it between two steps,
  // so that its closing record is still written.
  const ran = await runStoppable(
    action.run,
    (name) =>
      action.err(
        `${action.action}: stopping after the step under way (${name}); press Ctrl-C again to quit at once, unaudited`,
      ),
    action.signals,
  );
  if ('error' in ran) {
    const { error, stoppedBy } = ran;
    const code = (error as { code?: unknown }).code;
    const before = action.outcomeBefore?.(error);
    await close(
      stoppedBy === undefined ? 'failed' : 'interrupted',
      { error: typeof code === 'string' ? code : 'ERROR', ...before },
      stoppedBy === undefined ? 'stopped part-way' : 'interrupted',
    );
    if (stoppedBy === undefined) throw error;
    throw new CliError(
      'INTERRUPTED',
      `${action.action}: ${error instanceof Error ? error.message : String(error)}`,
      SIGNAL_EXIT_CODES[stoppedBy],
      error,
    );
  }
  const { result } = ran;
  await close('done', action.outcome(result), 'done');
  return result;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
