/**
 * `pnpm bench:hook [n]`: how long the Riak hook holds Riak's put process per commit. Starts an
 * ingest and a worker against the local Redis and Kafka, builds the hook, and runs
 * `commitlog_hook_bench:run(n)` in an Erlang VM against that ingest: hand-off latency median,
 * p90, p99 (microseconds, from the hook's side) and the outcomes.
 */
import { startSystem } from '@commitlog/testkit';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const n = Number(process.argv[2] ?? 2000);
const hookDir = fileURLToPath(new URL('../apps/riak-hook', import.meta.url));
const built = spawnSync('rebar3', ['compile'], { cwd: hookDir, encoding: 'utf8' });
if (built.status !== 0) throw new Error(`rebar3 compile failed:\n${built.stdout}${built.stderr}`);

const system = await startSystem({ env: { LOG_LEVEL: 'warn' } });
try {
  process.stdout.write(`hook hand-offs: ${n} commits to ${system.ingestUrl}\n`);
  const result = spawnSync(
    'erl',
    [
      '-noshell',
      '-pa',
      join(hookDir, '_build', 'default', 'lib', 'commitlog_riak_hook', 'ebin'),
      '-eval',
      `io:format("~p~n", [commitlog_hook_bench:run(${n})]), halt().`,
    ],
    {
      env: {
        ...process.env,
        COMMITLOG_INGEST_URL: system.ingestUrl,
        COMMITLOG_SECRET: system.secret,
        COMMITLOG_FAILURE_LOG: '/dev/null',
        COMMITLOG_LOG_LEVEL: 'debug',
      },
      encoding: 'utf8',
    },
  );
  process.stdout.write(result.stdout + result.stderr);
} finally {
  await system.stop();
}
