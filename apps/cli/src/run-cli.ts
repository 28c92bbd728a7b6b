/**
 * `commitlog <command>`: the one command-line entry (DESIGN.md, "Running it").
 * Exit codes: 0 done, 1 failed, 2 usage mistake. Errors are one readable line on stderr.
 */
import { fileURLToPath } from 'node:url';
import { oneLine } from '@commitlog/runtime/one-line';
import { callerPath } from './caller-path.ts';
import { CliError } from './cli-error.ts';
import { runRoleInForeground } from './role-process.ts';
import { helpFor, USAGE } from './usage.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function noArguments(command: string, rest: string[]): void {
  if (rest.length > 0) {
    throw new CliError('USAGE', `${command} takes no arguments, got: ${rest.join(' ')}`, 2);
  }
}

/**
 * The one FILE argument of `post` and `requeue`. A flag (`--file=x.json`, `-f`) is no file name:
 * said as a usage mistake, not a missing file (a file of that name is `./-f`). Nor is an empty
 * one (`requeue "$LOG"` with LOG unset), which would be read as the caller's directory, or as a
 * file whose error line names nothing.
 */
function fileArgument(command: string, rest: string[], what: string): string {
  const [file, ...extra] = rest;
  if (file === undefined || extra.length > 0 || file.startsWith('-')) {
    throw new CliError('USAGE', `${command} takes exactly one argument: ${what}`, 2);
  }
  if (file === '') {
    throw new CliError('USAGE', `${command}: FILE is empty (an unset variable?): give ${what}`, 2);
  }
  return file;
}

/** A progress or problem line of a long command, apart from its result on stdout. */
function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  try {
    const help = helpFor(argv);
    if (help !== undefined) {
      out(help);
      return 0;
    }
    // A command's modules are loaded when it runs: `commitlog worker` is what a pod runs, and
    // it stays beside its role for the role's life. With every command loaded (BullMQ, ioredis,
    // pino…) it held ~130 MiB of the pod's memory; with only what starting a role needs, ~70.
    switch (command) {
      case 'up':
        noArguments(command, rest);
        await (await import('./commands/up.ts')).up({ repoRoot, env, out });
        return 0;
      case 'ingest':
      case 'worker':
        noArguments(command, rest);
        return await runRoleInForeground(command, { repoRoot, env });
      case 'dashboard':
        if (rest[0] === 'hash-password') {
          noArguments('dashboard hash-password', rest.slice(1));
          const err = (text: string): void => {
            process.stderr.write(text);
          };
          await (
            await import('./commands/hash-password.ts')
          ).hashPasswordCommand({ stdin: process.stdin, err, out });
          return 0;
        }
        noArguments(command, rest);
        return await runRoleInForeground(command, { repoRoot, env });
      case 'post': {
        const file = fileArgument(command, rest, 'the JSON file to post');
        await (
          await import('./commands/post.ts')
        ).post({ file: callerPath(file, env), repoRoot, env, out });
        return 0;
      }
      case 'requeue': {
        const file = fileArgument(command, rest, 'the failure log');
        await (
          await import('./commands/requeue.ts')
        ).requeue({ file: callerPath(file, env), repoRoot, env, out, err: stderrLine });
        return 0;
      }
      case 'status':
        noArguments(command, rest);
        await (await import('./commands/status.ts')).status({ env, out, err: stderrLine });
        return 0;
      case 'lanes':
        await (await import('./commands/lanes.ts')).lanes({ args: rest, env, out });
        return 0;
      case 'redrive':
        await (
          await import('./commands/redrive.ts')
        ).redrive({ args: rest, env, out, err: stderrLine });
        return 0;
      case 'discard':
        await (
          await import('./commands/discard.ts')
        ).discard({ args: rest, env, out, err: stderrLine });
        return 0;
      case 'check':
        (await import('./commands/check.ts')).check({ args: rest, env, out });
        return 0;
      case 'audit':
        await (await import('./commands/audit.ts')).audit({ args: rest, env, out });
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new CliError('USAGE', `unknown command "${command}" (try: commitlog help)`, 2);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`commitlog: ${oneLine(message.trimEnd())}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
