/**
 * The Riak hook built and one Erlang expression run against it, for the hook's benchmarks
 * (`commitlog_hook_bench`): its output as the VM printed it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const hookDir = fileURLToPath(new URL('../../apps/riak-hook', import.meta.url));

/** Builds the hook (rebar3's default profile, as Riak's nodes get it); throws when that fails. */
export function buildHook(): void {
  const built = spawnSync('rebar3', ['compile'], { cwd: hookDir, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`rebar3 compile failed:\n${built.stdout}${built.stderr}`);
}

/** Prints `expression`'s value (`~p`) from a VM with the built hook on its path. */
export function runWithHook(expression: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(
    'erl',
    [
      '-noshell',
      '-pa',
      join(hookDir, '_build', 'default', 'lib', 'commitlog_riak_hook', 'ebin'),
      '-eval',
      `io:format("~p~n", [${expression}]), halt().`,
    ],
    { env, encoding: 'utf8' },
  );
  return result.stdout + result.stderr;
}
