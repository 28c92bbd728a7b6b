/**
 * `commitlog <command>`: the one command-line entry (DESIGN.md, "Running it").
 * Exit codes: 0 done, 1 failed, 2 usage mistake. Errors are one readable line on stderr.
 */
import { fileURLToPath } from 'node:url';
import { CliError } from './cli-error.ts';
import { hashPasswordCommand } from './commands/hash-password.ts';
import { lanes } from './commands/lanes.ts';
import { post } from './commands/post.ts';
import { redrive } from './commands/redrive.ts';
import { requeue } from './commands/requeue.ts';
import { status } from './commands/status.ts';
import { up } from './commands/up.ts';
import { runRoleInForeground } from './role-process.ts';

const USAGE = `usage: commitlog <command>

commands:
  up          start the whole system on this machine (local Redis and Kafka unless configured)
  ingest      run the HTTP ingest (configured from the environment)
  worker      run a delivery worker (configured from the environment)
  dashboard   run the dashboard (configured from the environment)
  dashboard hash-password
              read a password (hidden, or piped) and print its hash for DASHBOARD_USERS
  post FILE   sign a commit (or {"commits": [...]}) from a JSON file and post it to the ingest
  requeue FILE
              replay the Riak hook's failure log through the ingest (idempotent)
  status      lanes, backlog, held lanes, failed deliveries by reason and recent stalls
  lanes [--key TYPE/BUCKET/KEY]
              the lane count, whether it may change now, and where each lane lives (queue,
              Redis Cluster slot and node) with what it holds; --key: the lane of one key
              (as JSON, '{"bucket": "b", "key": {"base64": "..."}}', for bytes that are not UTF-8)
  redrive [--reason R] [--bucket B] [--older-than 1h] [--job ID] | --all
              move the matching failed deliveries back into their lanes (at the end)
  help        show this text`;

/**
 * The usage of each command that takes arguments, shown for `commitlog <command> --help` (or
 * `-h`): without it `post --help` would look for a file named `--help`. A file of that name is
 * still reachable as `./--help`.
 */
const COMMAND_USAGE = new Map<string, string>([
  [
    'post',
    'usage: commitlog post FILE (sign a commit, or {"commits": [...]}, from a JSON file and post it to INGEST_URL)',
  ],
  [
    'requeue',
    "usage: commitlog requeue FILE (replay the Riak hook's failure log through the ingest; idempotent)",
  ],
  ['lanes', 'usage: commitlog lanes [--key TYPE/BUCKET/KEY]'],
  [
    'redrive',
    'usage: commitlog redrive [--reason R] [--bucket B] [--older-than 1h] [--job ID] | --all',
  ],
]);

function helpAsked(command: string | undefined, rest: readonly string[]): void {
  const usage = command === undefined ? undefined : COMMAND_USAGE.get(command);
  if (usage !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    throw new CliError('USAGE', usage, 2);
  }
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function noArguments(command: string, rest: string[]): void {
  if (rest.length > 0) {
    throw new CliError('USAGE', `${command} takes no arguments, got: ${rest.join(' ')}`, 2);
  }
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
    helpAsked(command, rest);
    switch (command) {
      case 'up':
        noArguments(command, rest);
        await up({ repoRoot, env, out });
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
          await hashPasswordCommand({ stdin: process.stdin, err, out });
          return 0;
        }
        noArguments(command, rest);
        return await runRoleInForeground(command, { repoRoot, env });
      case 'post': {
        const [file, ...extra] = rest;
        if (file === undefined || extra.length > 0) {
          throw new CliError('USAGE', 'post takes exactly one argument: the JSON file to post', 2);
        }
        await post({ file, repoRoot, env, out });
        return 0;
      }
      case 'requeue': {
        const [file, ...extra] = rest;
        if (file === undefined || extra.length > 0) {
          throw new CliError('USAGE', 'requeue takes exactly one argument: the failure log', 2);
        }
        await requeue({ file, repoRoot, env, out, err: stderrLine });
        return 0;
      }
      case 'status':
        noArguments(command, rest);
        await status({ env, out });
        return 0;
      case 'lanes':
        await lanes({ args: rest, env, out });
        return 0;
      case 'redrive':
        await redrive({ args: rest, env, out, err: stderrLine });
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
    process.stderr.write(`commitlog: ${message}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
