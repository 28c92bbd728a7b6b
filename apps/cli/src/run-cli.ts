/**
 * `commitlog <command>`: the one command-line entry (DESIGN.md, "Running it").
 * Exit codes: 0 done, 1 failed, 2 usage mistake. Errors are one readable line on stderr.
 */
import { fileURLToPath } from 'node:url';
import { CliError } from './cli-error.ts';
import { up } from './commands/up.ts';

const USAGE = `usage: commitlog <command>

commands:
  up      start the whole system on this machine (local Redis and Kafka unless configured)
  help    show this text`;

export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  try {
    switch (command) {
      case 'up':
        if (rest.length > 0)
          throw new CliError('USAGE', `up takes no arguments, got: ${rest.join(' ')}`, 2);
        await up({ repoRoot: fileURLToPath(new URL('../../../', import.meta.url)), env, out });
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
