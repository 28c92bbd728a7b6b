/**
 * `pnpm bench:hook [n]`: how long the Riak hook holds Riak's put process per commit. Starts an
 * ingest and a worker against the local Redis and Kafka, builds the hook, and runs
 * `commitlog_hook_bench:run(n)` in an Erlang VM against that ingest: hand-off latency median,
 * p90, p99 (microseconds, from the hook's side) and the outcomes.
 */
import { startSystem } from '@commitlog/testkit';
import { buildHook, runWithHook } from './lib/hook-erl.ts';

const n = Number(process.argv[2] ?? 2000);
buildHook();

const system = await startSystem({ env: { LOG_LEVEL: 'warn' } });
try {
  process.stdout.write(`hook hand-offs: ${n} commits to ${system.ingestUrl}\n`);
  const output = runWithHook(`commitlog_hook_bench:run(${n})`, {
    ...process.env,
    COMMITLOG_INGEST_URL: system.ingestUrl,
    COMMITLOG_SECRET: system.secret,
    COMMITLOG_FAILURE_LOG: '/dev/null',
    COMMITLOG_LOG_LEVEL: 'debug',
  });
  process.stdout.write(output);
} finally {
  await system.stop();
}
