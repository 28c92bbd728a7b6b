/**
 * Drives the Riak hook (Erlang) from end-to-end tests: builds it, builds objects the way Riak
 * holds them, and hands each to postcommit/1 as Riak's put FSM would, in a real Erlang VM.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const hookDir = join(root, 'apps', 'riak-hook');

/** Builds the hook with rebar3 and the test stand-in of riak_object (into `work`) with erlc. */
export function buildHook(work: string): string[] {
  const built = spawnSync('rebar3', ['compile'], { cwd: hookDir, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`rebar3 compile failed:\n${built.stdout}${built.stderr}`);
  const standIn = spawnSync('erlc', ['-o', work, join(hookDir, 'test', 'riak_object.erl')], {
    encoding: 'utf8',
  });
  if (standIn.status !== 0) throw new Error(`erlc riak_object failed:\n${standIn.stderr}`);
  return [join(hookDir, '_build', 'default', 'lib', 'commitlog_riak_hook', 'ebin'), work];
}

/** Erlang that builds objects `O0`, `O1`, … of `bucket` for `keys`, as Riak holds them. */
export function hookObjects(bucket: string, keys: string[]): string {
  const b = `<<"${bucket}">>`;
  const lines = [
    `MD = fun(CT, Tag) -> dict:from_list([{<<"content-type">>, CT}, {<<"X-Riak-VTag">>, Tag}, {<<"X-Riak-Last-Modified">>, os:timestamp()}]) end`,
    `VC = fun(O) -> riak_object:increment_vclock(O, <<"riak@node1">>) end`,
  ];
  const made = keys.map(
    (k, i) =>
      `O${i} = VC(riak_object:new(${b}, <<"${k}">>, <<"{\\"n\\":${i}}">>, MD("application/json", <<"t${i}">>)))`,
  );
  return [...lines, ...made].join(',\n');
}

/** Runs `erlang` in a fresh VM with the hook on its path and `env` set; returns its output. */
export function runHook(paths: string[], env: Record<string, string>, erlang: string): string {
  const result = spawnSync(
    'erl',
    [
      '-noshell',
      ...paths.flatMap((p) => ['-pa', p]),
      '-eval',
      `${erlang},\nio:format("hook-run-done~n"),\nhalt(0).`,
    ],
    { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 },
  );
  if (result.status !== 0 || !result.stdout.includes('hook-run-done')) {
    throw new Error(`erl failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}
